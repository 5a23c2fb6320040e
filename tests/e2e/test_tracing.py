"""One trace from the API's HTTP span to the worker's workflow and activity spans, over OTLP.

The real processes of `uv run dev --otlp-endpoint` export to a receiver this test runs on
127.0.0.1, exactly as they would to a collector; nothing here reaches into a process.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import RunningStack, running_stack, stack_environment
from tests.e2e.otlp_receiver import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.e2e

SPAN_WAIT = 60.0
SERVER_KIND = 2  # opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(
    receiver: OtlpReceiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    # Export every 100 ms instead of every 5 s, so spans arrive while the test waits for them.
    env = stack_environment(OTEL_BSP_SCHEDULE_DELAY="100")
    with running_stack(
        tmp_path_factory.mktemp("traced-stack"),
        options=["--otlp-endpoint", receiver.endpoint],
        env=env,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Iterator[httpx.Client]:
    with stack.client() as client:
        yield client


def finish(api: httpx.Client, result_url: str) -> httpx.Response:
    """The result endpoint's answer once the workflow has finished (200, or 409 if it failed)."""
    deadline = time.monotonic() + SPAN_WAIT
    while True:
        response = api.get(result_url, params={"wait": 10})
        if response.status_code in (200, 409):
            return response
        assert response.status_code == 202, response.text
        assert time.monotonic() < deadline, response.text


def place_order(api: httpx.Client, **changes: Any) -> tuple[str, httpx.Response]:
    order_id = f"traced-{uuid.uuid4().hex[:10]}"
    body = {
        "order_id": order_id,
        "customer_email": "ada@example.com",
        "amount": 12.0,
        "items": [{"sku": "pen", "quantity": 2}],
    } | changes
    started = api.post("/orders", json=body)
    assert started.status_code == 202, started.text
    workflow_id = started.json()["workflow_id"]
    return workflow_id, finish(api, started.json()["result_url"])


def trace_of_workflow(spans: list[ReceivedSpan], workflow_id: str) -> str | None:
    """The trace id of the API's StartWorkflow span for ``workflow_id``."""
    for span in spans:
        if (
            span.service == "api"
            and span.name.startswith("StartWorkflow:")
            and span.attributes.get("temporalWorkflowID") == workflow_id
        ):
            return span.trace_id
    return None


def spans_of(spans: list[ReceivedSpan], trace_id: str) -> list[ReceivedSpan]:
    return [span for span in spans if span.trace_id == trace_id]


def has(
    service: str, name: str, *, error: bool | None = None
) -> Callable[[list[ReceivedSpan]], bool]:
    def check(spans: list[ReceivedSpan]) -> bool:
        return any(
            span.service == service
            and span.name == name
            and (error is None or span.is_error == error)
            for span in spans
        )

    return check


def wait_for_trace(
    receiver: OtlpReceiver, workflow_id: str, *required: Callable[[list[ReceivedSpan]], bool]
) -> list[ReceivedSpan]:
    """The spans of ``workflow_id``'s trace, once every ``required`` check holds for them."""

    def complete(spans: list[ReceivedSpan]) -> bool:
        trace_id = trace_of_workflow(spans, workflow_id)
        return trace_id is not None and all(check(spans_of(spans, trace_id)) for check in required)

    spans = receiver.wait_for(complete, timeout=SPAN_WAIT)
    trace_id = trace_of_workflow(spans, workflow_id)
    assert trace_id is not None
    return spans_of(spans, trace_id)


def http_server_span(trace: list[ReceivedSpan], method_and_route: str) -> ReceivedSpan:
    matches = [
        span
        for span in trace
        if span.service == "api" and span.kind == SERVER_KIND and span.name == method_and_route
    ]
    assert len(matches) == 1, [(span.service, span.name) for span in trace]
    return matches[0]


def test_one_trace_links_the_http_request_to_the_workflow_and_its_activities(
    api: httpx.Client, receiver: OtlpReceiver, stack: RunningStack
) -> None:
    workflow_id, outcome = place_order(api)
    assert outcome.json()["result"]["status"] == "completed", outcome.text

    trace = wait_for_trace(
        receiver,
        workflow_id,
        has("worker-orders", "RunWorkflow:OrderWorkflow"),
        has("worker-orders", "RunActivity:charge_payment"),
        has("worker-orders", "RunActivity:reserve_inventory"),
        has("worker-orders", "RunActivity:confirm_order"),
    )

    http = http_server_span(trace, "POST /orders")
    assert http.parent_span_id == ""  # the request started the trace
    start = next(span for span in trace if span.name == "StartWorkflow:OrderWorkflow")
    assert start.service == "api"
    assert start.span_id != http.span_id
    # The workflow start hangs right under the HTTP request: the API exports no ASGI-internal
    # "http receive" / "http send" spans, only these two.
    assert start.parent_span_id == http.span_id
    assert sorted(span.name for span in trace if span.service == "api") == [
        "POST /orders",
        "StartWorkflow:OrderWorkflow",
    ]
    worker_spans = [span for span in trace if span.service == "worker-orders"]
    assert all(not span.is_error for span in trace), trace
    assert {span.name for span in worker_spans} >= {
        "RunWorkflow:OrderWorkflow",
        "RunActivity:charge_payment",
        "RunActivity:reserve_inventory",
        "RunActivity:confirm_order",
    }
    # The worker's log lines carry the trace id, so logs and traces find each other.
    stack.process.wait_for(
        lambda line: line.startswith("worker-orders") and f"trace_id={http.trace_id}" in line,
        timeout=SPAN_WAIT,
    )
    # So does the API's access line for the request, with the server span's own id.
    stack.process.wait_for(
        lambda line: (
            line.startswith("api")
            and '"POST /orders ' in line
            and f"[trace_id={http.trace_id} span_id={http.span_id}]" in line
        ),
        timeout=SPAN_WAIT,
    )


def test_a_failing_activity_is_recorded_as_an_error_span(
    api: httpx.Client, receiver: OtlpReceiver
) -> None:
    # More than the local stock is refused by the inventory for good (non-retryable
    # InvalidItems), so the order fails at its second step and is compensated with a refund.
    workflow_id, outcome = place_order(api, items=[{"sku": "pen", "quantity": 5000}])
    assert outcome.status_code == 409, outcome.text
    assert outcome.json()["type"] == "/problems/order-failed"

    trace = wait_for_trace(
        receiver,
        workflow_id,
        has("worker-orders", "RunActivity:reserve_inventory", error=True),
        has("worker-orders", "RunActivity:refund_payment"),
    )

    http_server_span(trace, "POST /orders")
    failed = [span for span in trace if span.is_error]
    assert [(span.service, span.name) for span in failed] == [
        ("worker-orders", "RunActivity:reserve_inventory")
    ]


def test_every_service_names_itself_and_health_is_not_traced(
    api: httpx.Client, receiver: OtlpReceiver, stack: RunningStack
) -> None:
    approval = api.post(
        "/approvals",
        json={"request_id": f"traced-{uuid.uuid4().hex[:8]}", "approver_email": "lead@example.com"},
    )
    assert approval.status_code == 202, approval.text
    approval_id = approval.json()["workflow_id"]
    with stack.client("LEAD_TOKEN") as lead:
        decided = lead.post(f"/approvals/{approval_id}/approve", json={"comment": "traced"})
    assert decided.status_code == 200, decided.text
    finish(api, approval.json()["result_url"])
    report = api.post("/reports/generate", json={"rows": 10, "chunk_size": 10})
    assert report.status_code == 202, report.text
    report_id = report.json()["report_id"]
    assert api.get("/health").status_code == 200

    wait_for_trace(receiver, approval_id, has("worker-approvals", "RunWorkflow:ApprovalWorkflow"))
    spans = receiver.wait_for(
        lambda spans: (
            trace_of_workflow(spans, report_id) is not None
            and has("worker-reports", "RunWorkflow:ReportGenerationWorkflow")(spans)
        ),
        timeout=SPAN_WAIT,
    )

    services = {span.service for span in spans}
    assert {"api", "worker-approvals", "worker-reports"} <= services
    known = {"api", "worker-orders", "worker-approvals", "worker-reports", "codec-server"}
    assert services <= known, sorted((span.service, span.name) for span in spans)
    # The stack polled /health until ready and this test called it once more: no spans.
    health = [span for span in spans if "/health" in span.name]
    assert health == [], health
