"""The FastAPI application: ``app`` for ASGI servers, ``create_app`` for tests and embedding.

The lifespan creates one ``TemporalClientService`` and closes it at shutdown. It does not connect:
the first request that needs Temporal does, so the API starts (and reports itself degraded on
``/health``) while Temporal is down, and recovers by itself once it is back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from temporal_core import TemporalClientService, TemporalSettings
from temporal_core.observability.log_setup import configure_logging
from temporal_core.observability.tracing import configure_telemetry

from api.body_limit import BodySizeLimitMiddleware
from api.deps import AppDependencies
from api.openapi_limits import state_setting_limits
from api.problems import PROBLEM_MEDIA_TYPE, install_problem_handlers
from api.routes import approvals, health, orders, reports
from api.settings import ApiSettings

__all__ = ["app", "create_app"]

logger = logging.getLogger(__name__)

DESCRIPTION = """
Start, query, signal and await Temporal workflows over HTTP.

* **202** a workflow was started; **200** with `started: false` it was already running
  (a retried POST never starts a second workflow).
* Errors are `application/problem+json` with one shape: 404 unknown workflow, 409 conflict
  with the workflow's state, 413 body too large, 422 invalid input (naming each field),
  503 Temporal disabled or unreachable (with `Retry-After`).
* Waiting endpoints are bounded by `?wait` and answer 202 while the workflow still runs.
"""

OPENAPI_TAGS = [
    {"name": "orders", "description": "Order processing: every execution pattern of the guide."},
    {"name": "approvals", "description": "Human-in-the-loop approvals driven by signals."},
    {"name": "reports", "description": "Long-running report generation with progress."},
    {"name": "health", "description": "Readiness and liveness probes."},
]


def create_app(
    settings: ApiSettings | None = None,
    *,
    temporal_settings: TemporalSettings | None = None,
    temporal_service: TemporalClientService | None = None,
) -> FastAPI:
    """Build the app; settings default to the environment (read when the app starts)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        # ``serve`` exports the log options so every uvicorn worker process configures itself.
        level, fmt = os.environ.get("LOG_LEVEL"), os.environ.get("LOG_FORMAT")
        if level or fmt:
            configure_logging(level or "INFO", fmt or "text")
        service = temporal_service or TemporalClientService(
            temporal_settings or TemporalSettings.load()
        )
        app.state.app_dependencies = AppDependencies(
            temporal_service=service, settings=api_settings
        )
        logger.info("API ready; Temporal at %s (connects on first use)", service.url)
        try:
            yield
        finally:
            await service.close()

    api_settings = settings or ApiSettings.load()
    app = FastAPI(
        title="Temporal workflows API",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    install_problem_handlers(app, retry_after_seconds=api_settings.retry_after_seconds)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=api_settings.max_body_bytes)
    for router in (orders.router, approvals.router, reports.router, health.router):
        app.include_router(router)
    _instrument(app)
    _document_problems_as_problem_json(app, api_settings)
    return app


def _document_problems_as_problem_json(app: FastAPI, settings: ApiSettings) -> None:
    # FastAPI documents every response model as application/json; error answers are sent as
    # application/problem+json only, so the schema should say exactly that. The limits that
    # come from settings are written in too.
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for operations in schema["paths"].values():
                for operation in operations.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_MEDIA_TYPE in content:
                            content.pop("application/json", None)
            state_setting_limits(schema, settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi


def _instrument(app: FastAPI) -> None:
    # Cheap when no exporter is configured (the no-op tracer); probes would only add noise.
    configure_telemetry("api")
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="/health")


app = create_app()
