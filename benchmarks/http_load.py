"""A lean HTTP/1.1 load generator: keep-alive connections, one request in flight on each.

A full-featured client spends more CPU per request than the API under test on a 2-core machine,
and that CPU is taken from the API; this one only writes a prepared request and reads the
status line, headers and ``Content-Length`` body. :class:`ApiCaller` is the one place where the
benchmark's requests get their headers (``Authorization`` among them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

__all__ = ["Answer", "ApiCaller", "HttpConnection", "run_concurrently"]


@dataclass(frozen=True)
class Answer:
    """A response: status and body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


class HttpConnection:
    """One keep-alive connection to ``127.0.0.1:port``."""

    def __init__(self, port: int) -> None:
        """Nothing connects until the first request."""
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, head: bytes, body: bytes) -> Answer:
        """Send a prepared request head and body; read the whole answer.

        A reused connection the server closed while idle (uvicorn's keep-alive timeout runs out
        while a baseline round runs) is opened again and the request sent once more: it never
        reached the server, and the benchmark's starts are idempotent besides.
        """
        reused = self._writer is not None
        try:
            return await self._exchange(head + body)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            if not reused:
                raise
            return await self._exchange(head + body)

    async def _exchange(self, request: bytes) -> Answer:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self._reader, self._writer
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("the server closed the connection")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return Answer(int(status_line.split()[1]), await reader.readexactly(length))

    async def close(self) -> None:
        """Close the socket."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


class ApiCaller:
    """Requests to the API on ``port`` over ``connections`` keep-alive connections."""

    def __init__(self, port: int, *, token: str | None, connections: int) -> None:
        """Headers are fixed here, once: the bearer token (when the API wants one), JSON."""
        headers = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._headers = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._idle = [HttpConnection(port) for _ in range(connections)]

    def _head(self, method: str, path: str, body: bytes) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\n{self._headers}Content-Length: {len(body)}\r\n\r\n"
        return head.encode()

    async def post(self, path: str, payload: Any) -> Answer:
        """``POST path`` with ``payload`` as JSON, on an idle connection."""
        body = json.dumps(payload).encode()
        if not self._idle:
            raise RuntimeError("more requests in flight than the caller has connections")
        connection = self._idle.pop()
        try:
            return await connection.send(self._head("POST", path, body), body)
        finally:
            self._idle.append(connection)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.gather(*(connection.close() for connection in self._idle))


async def run_concurrently(
    call: Callable[[int], Awaitable[object]], *, total: int, concurrency: int
) -> tuple[float, list[float]]:
    """Run ``call(i)`` for i in ``range(total)``, ``concurrency`` at a time.

    Returns the wall time in seconds and each call's latency in milliseconds.
    """
    latencies: list[float] = []
    next_index = iter(range(total))

    async def lane() -> None:
        for index in next_index:
            started = time.perf_counter()
            await call(index)
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies
