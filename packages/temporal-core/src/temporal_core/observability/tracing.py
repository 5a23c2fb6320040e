"""OpenTelemetry set-up for every service, from the standard ``OTEL_*`` variables.

Call :func:`configure_telemetry` once at start with the service's name. With an OTLP endpoint
configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) spans are
batched and exported over OTLP/HTTP; without one, nothing is installed and the API's no-op tracer
makes tracing cost next to nothing and print nothing.

:func:`temporal_plugins` gives the Temporal SDK's ``OpenTelemetryPlugin`` that carries the trace
context from client to workflow to activity across the server; workers built from a client
inherit it.

Log records get ``trace_id`` and ``span_id`` attributes (hex, as trace backends show them)
whenever a span is current, so a log line can be found from its trace and the other way round.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import temporalio.client
from opentelemetry import trace
from temporalio.contrib.opentelemetry import (
    OpenTelemetryPlugin,
    ReplaySafeTracerProvider,
    create_tracer_provider,
)

__all__ = [
    "configure_telemetry",
    "install_log_correlation",
    "is_exporting",
    "temporal_plugins",
]

logger = logging.getLogger(__name__)

_configured_service: str | None = None


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

    The provider is the SDK's replay-safe one (``create_tracer_provider``): its span ids are
    deterministic inside workflows and it drops spans while a workflow replays history, which is
    what lets the workflow's span last from its start to its end across worker restarts.
    """
    global _configured_service
    install_log_correlation()
    if _configured_service is not None or not is_exporting():
        return _configured_service is not None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = create_tracer_provider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured_service = name
    logger.info("exporting traces for %s over OTLP/HTTP", name)
    return True


def temporal_plugins() -> list[temporalio.client.Plugin]:
    """Client plugins (inherited by workers built from the client) that trace Temporal calls.

    The SDK's ``OpenTelemetryPlugin`` with its Temporal spans (``StartWorkflow``,
    ``RunWorkflow``, ``StartActivity``, ``RunActivity``, ...). Empty unless
    :func:`configure_telemetry` installed an exporting provider: the plugin refuses to run
    workflows under any provider but the replay-safe one, and without an exporter there is
    nothing to record.
    """
    if not isinstance(trace.get_tracer_provider(), ReplaySafeTracerProvider):
        return []
    return [OpenTelemetryPlugin(add_temporal_spans=True)]


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
