"""Keep FastAPI's own 413 in the API's problem+json shape when ``Content-Length`` is too large.

The limit itself is FastAPI's ``max_body_size`` (set in :func:`api.main.create_app`): it counts
the bytes a route reads and refuses a declared ``Content-Length`` over the limit before reading
anything. A body that grows past the limit while streaming raises an ``HTTPException(413)``, which
the problem handlers render like every other error. A declared length over the limit does not
reach them: Starlette's limiter swaps whatever response the app starts for its own
``text/plain`` "Content Too Large", from outside the app's exception handlers. This wrapper sits
outside that limiter and answers that one response with the same problem body instead, so a
client sees one 413 whichever way it sent the body.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_MEDIA_TYPE, Problem, body_too_large_detail

__all__ = ["render_content_too_large_as_problem"]


def render_content_too_large_as_problem(app: FastAPI) -> None:
    """Wrap ``app``'s middleware stack (built on its first request) with the 413 translation."""
    build = app.build_middleware_stack

    def build_with_problem_413() -> ASGIApp:
        return _PlainTooLargeAsProblem(build(), max_body_size=app.max_body_size)

    app.build_middleware_stack = build_with_problem_413


class _PlainTooLargeAsProblem:
    def __init__(self, app: ASGIApp, *, max_body_size: int | None) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_problem_instead(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and _is_plain_413(message):
                replaced = True
                await self._send_problem(scope, send)
                return
            if replaced and message["type"] == "http.response.body":
                return  # the plain-text body of the response replaced above
            await send(message)

        await self.app(scope, receive, send_problem_instead)

    async def _send_problem(self, scope: Scope, send: Send) -> None:
        path: str = scope.get("path", "")
        problem = Problem(
            type="/problems/request-body-too-large",
            code="request-body-too-large",
            title="Request body too large",
            status=413,
            detail=body_too_large_detail(self.max_body_size),
            instance=path,
        )
        body = problem.model_dump_json(exclude_none=True).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                    # The unread body is still on the wire; do not reuse the connection for it.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _is_plain_413(message: Message) -> bool:
    if message.get("status") != 413:
        return False
    headers: list[tuple[bytes, bytes]] = message.get("headers", [])
    content_type = dict(headers).get(b"content-type", b"")
    # Only Starlette's own answer: a 413 the app rendered already is problem+json.
    return content_type.startswith(b"text/plain")
