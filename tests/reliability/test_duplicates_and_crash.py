"""Every order POSTed twice at once while the orders worker is SIGKILLed and restarted.

Proves: one workflow and one charge, reservation and confirmation per order, no 5xx, and every
order closed within ``RECOVERY_SECONDS`` of the replacement worker's start. That last bound holds
only when the order activities' start-to-close timeouts fit their work (docs/workers.md): an
activity cut off by the kill is retried once its timeout has run out.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from temporalio.client import Client
from worker_orders.activities import CONFIRM_KIND
from worker_orders.inventory import RESERVE_KIND
from worker_orders.payments import CHARGE_KIND

from tests.reliability.figures import Figures
from tests.reliability.load import (
    ACCEPTED,
    Answer,
    bounded,
    count_workflows,
    effect_counts,
    not_exactly_once,
    order_body,
    runs_per_order_id,
    send,
    wait_until,
)
from tests.reliability.system import api_client, running_system

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(300)]

ORDERS = 300
"""The target was 500; on 2 shared cores 500 orders alone take about three minutes, and the
backlog left at a midway kill would take longer than ``RECOVERY_SECONDS`` to work through,
making the bound measure throughput instead of recovery (docs/reliability.md)."""
PAIRS_AT_ONCE = 16
RECOVERY_SECONDS = 30.0
"""Every order must be closed this long after the replacement worker polls."""
_ORDERS_QUERY = 'WorkflowType="OrderWorkflow"'


async def test_duplicate_posts_and_a_killed_worker_charge_every_order_exactly_once(
    tmp_path: Path, figures: Figures
) -> None:
    order_ids = [f"dup-{uuid.uuid4().hex[:6]}-{n}" for n in range(ORDERS)]
    async with running_system(tmp_path) as system:
        await system.start_api()
        worker = await system.start_worker("orders")
        client = await system.client()
        replaced_at: list[float] = []

        async def crash_and_replace() -> None:
            # Midway: half the orders are done and the worker is busy with the rest.
            halfway = await wait_until(
                lambda: _closed_at_least(client, ORDERS // 2), timeout=180, interval=0.2
            )
            assert halfway is not None, "half the orders never completed"
            worker.crash()
            figures.extra["killed_after_seconds"] = time.monotonic() - load_started
            figures.extra["open_at_kill"] = ORDERS - await count_workflows(
                client, f'{_ORDERS_QUERY} AND ExecutionStatus!="Running"'
            )
            await system.start_worker("orders")
            replaced_at.append(time.monotonic())

        async with api_client(system) as http:

            async def post_twice(order_id: str) -> tuple[Answer, Answer]:
                body = order_body(order_id)
                first, second = await asyncio.gather(
                    send(http, "POST", "/orders", json=body),
                    send(http, "POST", "/orders", json=body),
                )
                return first, second

            load_started = time.monotonic()
            crash = asyncio.create_task(crash_and_replace())
            try:
                pairs = await bounded(
                    [lambda order_id=order_id: post_twice(order_id) for order_id in order_ids],
                    concurrency=PAIRS_AT_ONCE,
                )
                figures.extra["load_seconds"] = time.monotonic() - load_started
                await asyncio.wait_for(asyncio.shield(crash), timeout=240)
            finally:
                crash.cancel()

        closed = await wait_until(
            lambda: _closed_at_least(client, ORDERS), timeout=RECOVERY_SECONDS + 30, interval=0.5
        )
        if closed is not None:
            figures.recovery_seconds = time.monotonic() - replaced_at[0]
        figures.extra["still_open"] = ORDERS - await count_workflows(
            client, f'{_ORDERS_QUERY} AND ExecutionStatus!="Running"'
        )
        answers = [answer for pair in pairs for answer in pair]
        # The truthful pair: one 202 (this request started it), one 200 (already running).
        both_started = [
            o for o, (a, b) in zip(order_ids, pairs, strict=True) if a.status == b.status == 202
        ]
        runs = await runs_per_order_id(client)
        counts = effect_counts(system.side_effects)
        not_once = {
            kind: not_exactly_once(counts, kind, order_ids)
            for kind in (CHARGE_KIND, RESERVE_KIND, CONFIRM_KIND)
        }
        figures.requests = len(answers)
        figures.accepted = sum(answer.status in ACCEPTED for answer in answers)
        figures.completed = await count_workflows(
            client, f'{_ORDERS_QUERY} AND ExecutionStatus="Completed"'
        )
        figures.duplicates = len(both_started) + sum(n - 1 for n in runs.values())
        figures.lost = ORDERS - figures.completed
        figures.server_errors = sum(answer.status >= 500 for answer in answers)
        figures.extra.update(
            orders=ORDERS,
            workflows=len(runs),
            charges=sum(counts[CHARGE_KIND, order_id] for order_id in order_ids),
            statuses=dict(Counter(answer.status for answer in answers)),
        )

    assert figures.server_errors == 0, figures.extra["statuses"]
    # 409: the second POST of a pair arrived after its order had completed (truthful too).
    unexpected = [a for a in answers if a.status not in {*ACCEPTED, 409}]
    assert unexpected == [], unexpected[:5]
    assert both_started == [], both_started[:10]
    assert sorted(runs) == sorted(order_ids)
    assert set(runs.values()) == {1}
    assert not_once == {CHARGE_KIND: {}, RESERVE_KIND: {}, CONFIRM_KIND: {}}, not_once
    assert figures.completed == ORDERS
    assert closed is not None, f"orders still open {RECOVERY_SECONDS + 30:.0f}s after the restart"
    assert figures.recovery_seconds is not None
    assert figures.recovery_seconds <= RECOVERY_SECONDS


async def _closed_at_least(client: Client, orders: int) -> bool:
    closed = await count_workflows(client, f'{_ORDERS_QUERY} AND ExecutionStatus!="Running"')
    return closed >= orders
