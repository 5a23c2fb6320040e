"""A ``temporal server start-dev`` child process that tests can stop, restart and freeze."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncGenerator
from pathlib import Path
from types import TracebackType
from typing import Self

from temporalio.client import Client

from temporal_core.testing.dev_server import dev_server_command, free_port

__all__ = ["DevServerProcess"]


class DevServerProcess:
    """The real dev server on ``127.0.0.1:<port>``; it restarts on the same port after a stop/kill.

    State is kept in ``db_filename`` when given, so a restart can keep workflows. ``frozen()``
    suspends the process (SIGSTOP) without closing its sockets: a hung server, not a dead one.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        db_filename: Path | None = None,
        ui_port: int | None = None,
    ) -> None:
        """Pick a free port now; nothing starts until ``start()``."""
        self.port = port or free_port()
        self.ui_port = ui_port
        self.db_filename = db_filename
        self._process: asyncio.subprocess.Process | None = None

    @property
    def address(self) -> str:
        """``host:port`` for ``TEMPORAL_URL``."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.returncode is None

    async def start(self, *, timeout: float = 30.0) -> None:
        """Start the server and wait until it answers a health check."""
        if self.running:
            return
        command = dev_server_command(
            port=self.port, ui_port=self.ui_port, db_filename=self.db_filename
        )
        self._process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await self.wait_ready(timeout=timeout)

    async def wait_ready(self, *, timeout: float) -> None:
        """Poll until the frontend answers, or raise ``TimeoutError``."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if self._process is not None and self._process.returncode is not None:
                raise RuntimeError(f"dev server exited with code {self._process.returncode}")
            with contextlib.suppress(Exception):
                client = await Client.connect(self.address, connect_timeout=None, lazy=False)
                if await client.service_client.check_health():
                    return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"dev server on {self.address} not ready after {timeout}s")
            await asyncio.sleep(0.2)

    @contextlib.asynccontextmanager
    async def frozen(self) -> AsyncGenerator[None]:
        """Suspend the server for the ``async with`` body, then let it run on.

        Connections stay open and requests are accepted by the kernel but never answered, the
        way a hung or overloaded server behaves. The server is resumed (SIGCONT) however the
        body ends.
        """
        process = self._process
        if process is None or process.returncode is not None:
            raise RuntimeError("the dev server is not running")
        process.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            process.send_signal(signal.SIGCONT)

    async def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s) and wait for it to exit."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        # A suspended process would hold SIGTERM pending; resuming it first is harmless.
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def kill(self) -> None:
        """Crash the server (SIGKILL, no shutdown) and wait for it to exit; ``start()`` revives it.

        What a power cut or an OOM kill does: with ``db_filename`` the next start recovers from
        whatever the database holds at that instant.
        """
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.kill()
        await process.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
