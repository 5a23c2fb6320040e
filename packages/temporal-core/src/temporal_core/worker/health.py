"""A minimal HTTP endpoint, ``GET /health``, for a process that is not a web app (the worker).

It runs on the worker's own event loop (no thread, no web framework) and asks a callback for the
answer on every request, so it reports what is true now: 200 with a JSON body when the callback
says healthy, 503 with the same body otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["HealthReport", "HealthServer"]

logger = logging.getLogger(__name__)

_REQUEST_TIMEOUT = 5.0
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


@dataclass(frozen=True)
class HealthReport:
    """The answer to one health request."""

    healthy: bool
    detail: dict[str, Any]


class HealthServer:
    """Serves ``GET /health`` on ``host:port`` from ``check()``; start with :meth:`start`."""

    def __init__(
        self, check: Callable[[], Awaitable[HealthReport]], *, host: str, port: int
    ) -> None:
        """Keep the callback and address; nothing listens until ``start()``."""
        self._check = check
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen (raises ``OSError`` when the port is taken)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        logger.info("health endpoint on http://%s:%d/health", self.host, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), timeout=2)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_REQUEST_TIMEOUT):
                request_line = await reader.readline()
                # Read and ignore the headers; the endpoint takes no input.
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                status, body = await self._respond(request_line.decode("latin-1"))
            payload = json.dumps(body).encode()
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\n"
                "Cache-Control: no-store\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + payload)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(self, request_line: str) -> tuple[int, dict[str, Any]]:
        parts = request_line.split()
        if len(parts) < 2:
            return 404, {"error": "not found"}
        method, path = parts[0], parts[1].split("?", 1)[0]
        if path != "/health":
            return 404, {"error": "not found", "endpoints": ["/health"]}
        if method != "GET":
            return 405, {"error": "use GET"}
        try:
            report = await self._check()
        except Exception as error:
            logger.warning("health check raised", exc_info=True)
            return 503, {"status": "unhealthy", "error": str(error)}
        return (200 if report.healthy else 503), report.detail
