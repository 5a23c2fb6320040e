"""OpenTelemetry set-up for every service, from the standard ``OTEL_*`` variables.

Call :func:`configure_telemetry` once at start with the service's name. With an OTLP endpoint
configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) spans are
batched and exported over OTLP/HTTP; without one, nothing is installed and the API's no-op tracer
makes tracing cost next to nothing. :func:`temporal_interceptors` gives the Temporal interceptors
that carry the trace context from client to workflow to activity across the server.
"""

from __future__ import annotations

import logging
import os

import temporalio.client
from temporalio.contrib.opentelemetry import TracingInterceptor

__all__ = ["configure_telemetry", "is_exporting", "temporal_interceptors"]

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
    ``OTEL_SERVICE_NAME`` wins over ``service_name`` as the standard says.
    """
    global _configured_service
    if _configured_service is not None or not is_exporting():
        return _configured_service is not None
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    name = os.environ.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured_service = name
    logger.info("exporting traces for %s over OTLP/HTTP", name)
    return True


def temporal_interceptors() -> list[temporalio.client.Interceptor]:
    """Interceptors for clients (and, through them, workers) that propagate trace context."""
    return [TracingInterceptor()]
