"""``temporal_core.observability.tracing`` in one process.

Error status, log correlation, the silent default.

The whole-process version, across the API and worker processes, is ``test_tracing.py``; these
check the same pieces in seconds against the session's dev server.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from temporal_core.observability.tracing import install_log_correlation
from temporalio.testing import WorkflowEnvironment

from tests.e2e.otlp_receiver import OtlpReceiver, ReceivedSpan

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


def clean_environment(**env: str) -> dict[str, str]:
    """This process's environment without its ``OTEL_*`` settings, plus ``env``."""
    clean = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    return clean | env


def test_one_trace_from_the_caller_to_the_activity_and_a_failed_workflow_is_an_error(
    temporal_env: WorkflowEnvironment, task_queue: str, receiver: OtlpReceiver
) -> None:
    workflow_id = f"refuse-{uuid.uuid4()}"
    address = temporal_env.client.service_client.config.target_host
    subprocess.run(
        [sys.executable, "-m", "tests.e2e.traced_probe", address, task_queue, workflow_id],
        env=clean_environment(OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint),
        cwd=REPO_ROOT,
        capture_output=True,
        timeout=120,
        check=True,
    )

    def complete(spans: list[ReceivedSpan]) -> bool:
        names = {span.name for span in spans if span.service == "traced-probe"}
        return {"request", "RunWorkflow:RefusingWorkflow", "RunActivity:refuse"} <= names

    # The probe flushed at exit, so every span has arrived once it has returned.
    spans = [s for s in receiver.wait_for(complete, timeout=10) if s.service == "traced-probe"]
    by_name = {span.name: span for span in spans}
    assert sorted(by_name) == [
        "RunActivity:refuse",
        "RunWorkflow:RefusingWorkflow",
        "StartActivity:refuse",
        "StartWorkflow:RefusingWorkflow",
        "request",
    ]
    assert len(spans) == len(by_name)  # each once: no duplicates from replays or task retries
    # One trace, and each span hangs under the one that caused it.
    assert {span.trace_id for span in spans} == {by_name["request"].trace_id}
    parents = {span.name: span.parent_span_id for span in spans}
    assert parents["StartWorkflow:RefusingWorkflow"] == by_name["request"].span_id
    assert (
        parents["RunWorkflow:RefusingWorkflow"] == by_name["StartWorkflow:RefusingWorkflow"].span_id
    )
    assert parents["StartActivity:refuse"] == by_name["RunWorkflow:RefusingWorkflow"].span_id
    assert parents["RunActivity:refuse"] == by_name["StartActivity:refuse"].span_id
    # The failed workflow's own span is an error, not just the activity's.
    errors = {span.name: span.status_message for span in spans if span.is_error}
    assert errors.keys() == {"RunActivity:refuse", "RunWorkflow:RefusingWorkflow"}
    assert errors["RunWorkflow:RefusingWorkflow"].startswith("ActivityError")
    assert "out of stock" in errors["RunActivity:refuse"]
    # The workflow span lasts from the workflow's start to its end, around its activity.
    workflow_span = by_name["RunWorkflow:RefusingWorkflow"]
    assert workflow_span.duration_ns >= by_name["RunActivity:refuse"].duration_ns > 0


def test_log_records_carry_the_current_trace_and_span_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_correlation()
    install_log_correlation()  # idempotent: one factory, not two stacked
    provider = TracerProvider()
    logger = logging.getLogger("test.correlation")

    with caplog.at_level(logging.INFO, logger="test.correlation"):
        with provider.get_tracer("test").start_as_current_span("work") as span:
            logger.info("inside")
        logger.info("outside")

    inside, outside = caplog.records
    context = span.get_span_context()
    assert inside.__dict__["trace_id"] == f"{context.trace_id:032x}"
    assert inside.__dict__["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in outside.__dict__
    assert "span_id" not in outside.__dict__


CONFIGURE = (
    "from opentelemetry import trace\n"
    "from temporal_core.observability.tracing import configure_telemetry, temporal_plugins\n"
    "print(configure_telemetry('worker-orders'), type(trace.get_tracer_provider()).__name__)\n"
    "resource = getattr(trace.get_tracer('probe').start_span('probe'), 'resource', None)\n"
    "print(resource.attributes['service.name'] if resource else '-')\n"
    "print(len(temporal_plugins()))\n"
)


def run_configure(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CONFIGURE],
        env=clean_environment(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_without_an_exporter_nothing_is_installed_or_printed() -> None:
    done = run_configure()
    assert done.stdout.split() == ["False", "ProxyTracerProvider", "-", "0"]
    assert done.stderr == ""


def test_an_endpoint_installs_a_provider_named_for_the_service() -> None:
    done = run_configure(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert done.stdout.split() == ["True", "ReplaySafeTracerProvider", "worker-orders", "1"]
