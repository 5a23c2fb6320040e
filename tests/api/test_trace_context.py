"""With tracing off, the caller's ``traceparent`` is still the request's current trace context."""

from __future__ import annotations

from api.trace_context import CallerTraceContext
from opentelemetry import trace
from starlette.types import Receive, Scope, Send

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01".encode()


class CurrentSpanRecorder:
    """An ASGI app noting which span context is current while it runs."""

    def __init__(self) -> None:
        self.seen: trace.SpanContext | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen = trace.get_current_span().get_span_context()


def http_scope(path: str, headers: list[tuple[bytes, bytes]]) -> Scope:
    return {"type": "http", "path": path, "method": "POST", "headers": headers}


async def receive() -> dict[str, object]:
    return {"type": "http.request", "body": b""}


async def send(message: object) -> None:
    pass


async def test_the_callers_trace_and_span_ids_are_current_during_the_request() -> None:
    inner = CurrentSpanRecorder()
    await CallerTraceContext(inner)(
        http_scope("/orders", [(b"traceparent", TRACEPARENT)]), receive, send
    )
    assert inner.seen is not None
    assert trace.format_trace_id(inner.seen.trace_id) == TRACE_ID
    assert trace.format_span_id(inner.seen.span_id) == SPAN_ID
    assert not trace.get_current_span().get_span_context().is_valid, "context leaked out"


async def test_requests_without_a_traceparent_and_excluded_paths_have_no_trace_context() -> None:
    inner = CurrentSpanRecorder()
    middleware = CallerTraceContext(inner, excluded_prefixes=("/health",))
    await middleware(http_scope("/orders", []), receive, send)
    assert inner.seen is not None
    assert not inner.seen.is_valid
    await middleware(http_scope("/health/live", [(b"traceparent", TRACEPARENT)]), receive, send)
    assert not inner.seen.is_valid
