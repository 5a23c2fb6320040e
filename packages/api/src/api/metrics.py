"""The API's Prometheus metrics: HTTP requests by route, and the Temporal calls behind them.

* ``api_requests_total{route, method, status_class}`` and
  ``api_request_duration_seconds{route, method, status_class}`` (histogram): every HTTP request,
  labelled with the route *template* (``/orders/{order_id}``, never the id itself, so the number of
  series stays bounded; ``unmatched`` for a path no route serves) and ``2xx`` .. ``5xx``.
* ``api_temporal_call_duration_seconds{operation, outcome}`` (histogram): each call to Temporal
  (``start``, ``describe``, ``query``, ``signal``, ``update``, ``result``, ``wait_result`` for a
  ``?wait`` long poll, ``schedule_*`` for schedules), ``outcome`` ``ok`` or ``error``.

``GET /metrics`` serves them in the Prometheus text format. Each uvicorn worker process counts on
its own; with ``--workers`` above 1 the ``serve`` command points ``PROMETHEUS_MULTIPROC_DIR`` at a
fresh directory so that every process writes its figures there and a scrape of any process
returns the sum (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator
from contextlib import contextmanager

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MULTIPROC_DIR_ENV", "RequestMetrics", "router", "temporal_call"]

MULTIPROC_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Read by prometheus-client itself: where processes share their figures in multiprocess mode."""

UNMATCHED_ROUTE = "unmatched"

_REQUEST_LABELS = ("route", "method", "status_class")
REQUESTS = Counter("api_requests", "HTTP requests answered.", _REQUEST_LABELS)
REQUEST_SECONDS = Histogram(
    "api_request_duration_seconds",
    "Time from receiving an HTTP request to the end of its answer.",
    _REQUEST_LABELS,
)
TEMPORAL_CALL_SECONDS = Histogram(
    "api_temporal_call_duration_seconds",
    "Time one call to Temporal took, by operation and outcome.",
    ("operation", "outcome"),
    # Long polls (wait_result) run up to the request's ?wait, so the buckets reach past a minute.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)


@contextmanager
def temporal_call(operation: str) -> Generator[None]:
    """Time the Temporal call inside the block as ``operation`` (outcome ``error`` if it raises)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        yield
        outcome = "ok"
    finally:
        TEMPORAL_CALL_SECONDS.labels(operation, outcome).observe(time.perf_counter() - started)


class RequestMetrics:
    """ASGI middleware counting and timing each HTTP request by route template and status class.

    A request that raised (answered 500 by the server's error handler outside this middleware)
    counts as ``5xx``.
    """

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting the status it is answered with."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, note_status)
        finally:
            # The router stores the matched route in the (shared) scope while it dispatches.
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            labels = (route, scope["method"], f"{status // 100}xx")
            REQUESTS.labels(*labels).inc()
            REQUEST_SECONDS.labels(*labels).observe(time.perf_counter() - started)


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics of this API",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Text format 0.0.4."}},
)
async def metrics() -> Response:
    """Request and Temporal-call figures in the Prometheus text format; open, like ``/health``."""
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROC_DIR_ENV):
        # Every uvicorn process writes its own files there; the collector adds them up.
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY
