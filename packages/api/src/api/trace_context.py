"""The caller's trace context for a request, when this process exports no spans.

With tracing off the OpenTelemetry FastAPI instrumentation still runs all of its per-request
work (matching the route again to name a span, wrapping every receive and send) only to make
no-op spans, which cost about a sixth of the API's CPU under load. All that remains useful of
it then is the incoming ``traceparent``: made current for the request, it gives every log line
the request causes (the access line too, which uvicorn writes from inside the app's ``send``)
the caller's trace id. This middleware does exactly that and nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import context, propagate
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CallerTraceContext"]


class CallerTraceContext:
    """ASGI middleware making the W3C trace context of the request's headers current."""

    def __init__(self, app: ASGIApp, *, excluded_prefixes: Sequence[str] = ()) -> None:
        """Wrap ``app``; paths starting with one of ``excluded_prefixes`` are passed through."""
        self.app = app
        self.excluded_prefixes = tuple(excluded_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with the caller's context current, if it sent one."""
        if scope["type"] != "http" or scope["path"].startswith(self.excluded_prefixes):
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in _TRACE_HEADERS
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


_TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})
