"""Schemathesis hooks: the cross-field rules the OpenAPI document states in words.

JSON Schema cannot compare two fields, so these rules live in the field descriptions ("at most
`execution_timeout_seconds`", "give this or `delay_minutes`", ...). A generated request that
breaks one is not schema-valid in the document's own terms, so it is not sent as one. Every other
rule is in the schema itself (see api.openapi_limits and api.models.common.EmailAddress).
Loaded by ``st run`` through ``SCHEMATHESIS_HOOKS=tests.reliability.schema_rules``.
"""

from __future__ import annotations

from typing import Any

import schemathesis

MAX_REPORT_CHUNKS = 1000


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Keep a case unless its well-typed values break a stated cross-field rule."""
    rule = _RULES.get((case.operation.method.upper(), case.operation.path))
    return rule is None or rule(case.query or {}, case.body)


def _numbers(values: Any, **defaults: float) -> list[float] | None:
    if not isinstance(values, dict):
        return None
    found = [values.get(name, default) for name, default in defaults.items()]
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in found):
        return found
    return None


def _one_delay(query: dict[str, Any], body: Any) -> bool:
    # "give this or `delay_minutes`": exactly one of the two.
    return ("delay_seconds" in query) != ("delay_minutes" in query)


def _urgent_timeouts(query: dict[str, Any], body: Any) -> bool:
    timeouts = _numbers(body, execution_timeout_seconds=1800, run_timeout_seconds=900)
    intervals = _numbers(body, initial_retry_interval_seconds=1.0, max_retry_interval_seconds=10.0)
    return (timeouts is None or timeouts[1] <= timeouts[0]) and (
        intervals is None or intervals[1] >= intervals[0]
    )


def _report_chunks(query: dict[str, Any], body: Any) -> bool:
    sizes = _numbers(body, rows=1000, chunk_size=100)
    return sizes is None or sizes[1] <= 0 or -(-sizes[0] // sizes[1]) <= MAX_REPORT_CHUNKS


def _distinct_order_ids(query: dict[str, Any], body: Any) -> bool:
    if not isinstance(body, list):
        return True
    ids = [order.get("order_id") for order in body if isinstance(order, dict)]
    ids = [order_id for order_id in ids if isinstance(order_id, str)]
    return len(ids) == len(set(ids))


def _schedule(query: dict[str, Any], body: Any) -> bool:
    # "exactly one of cron_expression or interval_seconds"; the report inside obeys its own rule.
    if not isinstance(body, dict):
        return True
    timings = [body.get("cron_expression"), body.get("interval_seconds")]
    exactly_one = sum(timing is not None for timing in timings) == 1
    return exactly_one and _report_chunks(query, body.get("report"))


_RULES = {
    ("POST", "/orders/scheduled"): _one_delay,
    ("POST", "/orders/urgent"): _urgent_timeouts,
    ("POST", "/reports/generate"): _report_chunks,
    ("POST", "/orders/batch"): _distinct_order_ids,
    ("POST", "/reports/schedules"): _schedule,
}
