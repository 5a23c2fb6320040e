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
from datetime import timedelta

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from temporal_core.observability.tracing import FailedWorkflowSpanProcessor, install_log_correlation
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker


@activity.defn
async def refuse(item: str) -> str:
    raise ApplicationError(f"{item} is out of stock", type="OutOfStock", non_retryable=True)


@workflow.defn
class RefusingWorkflow:
    @workflow.run
    async def run(self, item: str) -> str:
        return await workflow.execute_activity(
            refuse, item, start_to_close_timeout=timedelta(seconds=10)
        )


def traced_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(FailedWorkflowSpanProcessor(SimpleSpanProcessor(exporter)))
    return provider, exporter


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


async def test_failed_workflow_and_activity_spans_are_errors(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    provider, exporter = traced_provider()
    tracer = provider.get_tracer("test")
    config = temporal_env.client.config()
    config["interceptors"] = [TracingInterceptor(tracer)]
    client = Client(**config)

    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[RefusingWorkflow],
        activities=[refuse],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        with tracer.start_as_current_span("request"):
            handle = await client.start_workflow(
                RefusingWorkflow.run, "pen", id=f"refuse-{uuid.uuid4()}", task_queue=task_queue
            )
        with pytest.raises(WorkflowFailureError):
            await handle.result()

    spans = by_name(exporter.get_finished_spans())
    errors = {name for name, span in spans.items() if span.status.status_code is StatusCode.ERROR}
    assert errors == {"RunActivity:refuse", "CompleteWorkflow:RefusingWorkflow"}
    failed = spans["CompleteWorkflow:RefusingWorkflow"]
    assert "ActivityError" in (failed.status.description or "")
    assert {span.context.trace_id for span in spans.values()} == {spans["request"].context.trace_id}


def test_only_a_workflow_end_that_recorded_a_failure_becomes_an_error() -> None:
    provider, exporter = traced_provider()
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("CompleteWorkflow:Fine"):
        pass
    with tracer.start_as_current_span("handled", record_exception=False) as span:
        # An exception that was dealt with is worth an event, not an error status.
        span.record_exception(ValueError("retried and recovered"))

    statuses = {span.name: span.status.status_code for span in exporter.get_finished_spans()}
    assert statuses == {"CompleteWorkflow:Fine": StatusCode.UNSET, "handled": StatusCode.UNSET}


def test_log_records_carry_the_current_trace_and_span_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_log_correlation()
    install_log_correlation()  # idempotent: one factory, not two stacked
    provider, _ = traced_provider()
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
    "from temporal_core.observability.tracing import configure_telemetry\n"
    "print(configure_telemetry('worker-orders'), type(trace.get_tracer_provider()).__name__)\n"
    "resource = getattr(trace.get_tracer_provider(), 'resource', None)\n"
    "print(resource.attributes['service.name'] if resource else '-')\n"
)


def run_configure(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", CONFIGURE],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_without_an_exporter_nothing_is_installed_or_printed() -> None:
    done = run_configure()
    assert done.stdout.split() == ["False", "ProxyTracerProvider", "-"]
    assert done.stderr == ""


def test_an_endpoint_installs_a_provider_named_for_the_service() -> None:
    done = run_configure(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert done.stdout.split() == ["True", "TracerProvider", "worker-orders"]
