"""The access log line of a request carries the trace and span ids of the request's server span.

A real ``serve`` process exports its spans to an OTLP receiver run by the test, so the ids in
its access line can be compared with the spans it actually sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporal_core.testing.dev_server import free_port
from temporalio.testing import WorkflowEnvironment

from tests.auth_tokens import AUTH_ENV, bearer
from tests.e2e.otlp_receiver import OtlpReceiver, ReceivedSpan

SERVER_KIND = 2  # opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER
TEXT_IDS = re.compile(r"\[trace_id=(?P<trace_id>[0-9a-f]{32}) span_id=(?P<span_id>[0-9a-f]{16})\]$")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


async def serve_one_order(
    temporal_env: WorkflowEnvironment, receiver: OtlpReceiver, log_format: str, cwd: Path
) -> tuple[str, list[str]]:
    """Start an order through a traced ``serve`` process; its workflow id and log lines."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    env |= {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "TEMPORAL_URL": temporal_env.client.service_client.config.target_host,
        "API_PORT": str(port),
        "SERVE_PACKAGE": "api",
        **AUTH_ENV,
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "serve"),
        "--log-format",
        log_format,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers=bearer()
        ) as http:
            await _wait_listening(http, process)
            order = {
                "order_id": f"logged-{uuid.uuid4().hex[:10]}",
                "customer_email": "ada@example.com",
                "amount": 12.0,
                "items": [{"sku": "pen", "quantity": 2}],
            }
            started = await http.post("/orders", json=order)
            assert started.status_code == 202, started.text
        process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        stderr = (await asyncio.wait_for(process.stderr.read(), timeout=30)).decode()
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0, stderr
        return started.json()["workflow_id"], stderr.splitlines()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_listening(http: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(60):
        while True:
            assert process.returncode is None, "serve exited early"
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def server_span_of(receiver: OtlpReceiver, workflow_id: str) -> ReceivedSpan:
    """The ``POST /orders`` server span whose trace holds the start of ``workflow_id``."""

    def starts(span: ReceivedSpan) -> bool:
        return span.name.startswith("StartWorkflow:") and (
            span.attributes.get("temporalWorkflowID") == workflow_id
        )

    def complete(spans: list[ReceivedSpan]) -> bool:
        start = next((span for span in spans if starts(span)), None)
        return start is not None and any(
            span.trace_id == start.trace_id and span.kind == SERVER_KIND for span in spans
        )

    # serve flushed its spans as it stopped, so they have all arrived by now.
    spans = receiver.wait_for(complete, timeout=10)
    trace_id = next(span.trace_id for span in spans if starts(span))
    servers = [span for span in spans if span.trace_id == trace_id and span.kind == SERVER_KIND]
    assert [span.name for span in servers] == ["POST /orders"]
    return servers[0]


async def test_the_text_access_line_ends_with_the_request_s_trace_and_span_ids(
    temporal_env: WorkflowEnvironment, receiver: OtlpReceiver, tmp_path: Path
) -> None:
    workflow_id, lines = await serve_one_order(temporal_env, receiver, "text", tmp_path)

    access = [line for line in lines if "uvicorn.access" in line and '"POST /orders ' in line]
    assert len(access) == 1, lines
    ids = TEXT_IDS.search(access[0])
    assert ids is not None, access[0]
    server = server_span_of(receiver, workflow_id)
    assert (ids["trace_id"], ids["span_id"]) == (server.trace_id, server.span_id)


async def test_the_json_access_record_has_the_request_s_trace_and_span_ids(
    temporal_env: WorkflowEnvironment, receiver: OtlpReceiver, tmp_path: Path
) -> None:
    workflow_id, lines = await serve_one_order(temporal_env, receiver, "json", tmp_path)

    records = [json.loads(line) for line in lines if line.startswith("{")]
    access = [
        record
        for record in records
        if record["logger"] == "uvicorn.access" and '"POST /orders ' in record["message"]
    ]
    assert len(access) == 1, lines
    server = server_span_of(receiver, workflow_id)
    assert (access[0]["trace_id"], access[0]["span_id"]) == (server.trace_id, server.span_id)
    # Lines outside any request (start-up, shut-down) have no ids rather than empty ones.
    startup = next(record for record in records if "startup complete" in record["message"])
    assert "trace_id" not in startup
