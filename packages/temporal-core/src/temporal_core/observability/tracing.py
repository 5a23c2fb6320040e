"""OpenTelemetry set-up for every service, from the standard ``OTEL_*`` variables.

Call :func:`configure_telemetry` once at start with the service's name. With an OTLP endpoint
configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) spans are
batched and exported over OTLP/HTTP; without one, nothing is installed and the API's no-op tracer
makes tracing cost next to nothing and print nothing.

:func:`temporal_interceptors` gives the Temporal interceptors that carry the trace context from
client to workflow to activity across the server; workers built from a client inherit them.

Log records get ``trace_id`` and ``span_id`` attributes (hex, as trace backends show them)
whenever a span is current, so a log line can be found from its trace and the other way round.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import temporalio.client
from opentelemetry import trace
from opentelemetry.context import Context

# The SDK is already imported by Temporal's OpenTelemetry module, so importing it here is free.
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Status, StatusCode
from temporalio.contrib.opentelemetry import TracingInterceptor

__all__ = [
    "FailedWorkflowSpanProcessor",
    "configure_telemetry",
    "install_log_correlation",
    "is_exporting",
    "temporal_interceptors",
]

logger = logging.getLogger(__name__)

_configured_service: str | None = None

_WORKFLOW_END_SPAN_PREFIX = "CompleteWorkflow:"
"""Name of the span on which Temporal's ``TracingInterceptor`` records a workflow's failure."""


def is_exporting() -> bool:
    """Whether the environment asks for spans to be exported."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    return bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def configure_telemetry(service_name: str) -> bool:
    """Install a tracer provider for ``service_name`` when an exporter is configured.

    Returns whether spans will be exported. Idempotent: a second call is a no-op.
    ``OTEL_SERVICE_NAME`` wins over ``service_name`` as the standard says. Log correlation
    (:func:`install_log_correlation`) is installed either way: an incoming ``traceparent`` makes
    log lines carry the caller's trace id even when this process exports nothing.
    """
    global _configured_service
    install_log_correlation()
    if _configured_service is not None or not is_exporting():
        return _configured_service is not None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(FailedWorkflowSpanProcessor(BatchSpanProcessor(OTLPSpanExporter())))
    trace.set_tracer_provider(provider)
    _configured_service = name
    logger.info("exporting traces for %s over OTLP/HTTP", name)
    return True


def temporal_interceptors() -> list[temporalio.client.Interceptor]:
    """Interceptors for clients (and, through them, workers) that propagate trace context."""
    return [TracingInterceptor()]


def install_log_correlation() -> None:
    """Give every log record ``trace_id`` and ``span_id`` attributes while a span is current.

    Done with a log record factory rather than a handler filter, so it holds for every handler
    and logger however and whenever logging is configured. Records made outside a span get no
    such attributes, so formatters can print them "when present". Idempotent.
    """
    current = logging.getLogRecordFactory()
    if getattr(current, _CORRELATING, False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = trace.format_trace_id(context.trace_id)
            record.span_id = trace.format_span_id(context.span_id)
        return record

    setattr(factory, _CORRELATING, True)
    logging.setLogRecordFactory(factory)


_CORRELATING = "_temporal_core_correlates_traces"


class FailedWorkflowSpanProcessor(SpanProcessor):
    """Passes spans on to ``inner``, marking the spans of failed workflows as errors.

    Temporal's interceptor sets ERROR on client and activity spans that raise, but for a failed
    workflow it only records the exception on the zero-length ``CompleteWorkflow`` span and
    leaves the status unset, so trace backends would show a failed workflow as healthy. Spans
    are immutable once ended, hence the copy with the error status.
    """

    def __init__(self, inner: SpanProcessor) -> None:
        """Wrap ``inner``, typically the batch processor in front of the exporter."""
        self._inner = inner

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        """Pass the started span on unchanged."""
        self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        """Pass the ended span on; a ``CompleteWorkflow`` span with a failure as an error."""
        self._inner.on_end(_as_error_if_failed(span))

    def shutdown(self) -> None:
        """Shut ``inner`` down (flushing what it holds)."""
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush ``inner``."""
        return self._inner.force_flush(timeout_millis)


def _as_error_if_failed(span: ReadableSpan) -> ReadableSpan:
    if span.status.status_code is not StatusCode.UNSET or not span.name.startswith(
        _WORKFLOW_END_SPAN_PREFIX
    ):
        return span
    failure = next((event for event in span.events if event.name == "exception"), None)
    if failure is None:
        return span
    attributes = failure.attributes or {}
    description = f"{attributes.get('exception.type', 'Error')}: "
    description += str(attributes.get("exception.message", ""))
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=span.events,
        links=span.links,
        kind=span.kind,
        status=Status(StatusCode.ERROR, description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
