"""The system as an operator runs it: a dev server, the API and the workers as real processes.

Every process is started through ``uv run`` the way the README starts it, in a session of its own
(``ServeProcess``), and :meth:`System.close` kills by pid whatever is still running. The dev
server keeps its state in a file, so a test can crash it and start it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from stand_ins.side_effect_log import SideEffectLog
from temporal_core.testing import DevServerProcess
from temporal_core.testing.dev_server import free_port
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.auth_tokens import AUTH_ENV, bearer
from tests.e2e.stack_process import children_of
from tests.workers.worker_processes import ServeProcess, uv_serve, wait_for_health, worker_env

WORKER_PACKAGES = {
    "orders": "worker-orders",
    "approvals": "worker-approvals",
    "reports": "worker-reports",
}
QUIET = {"LOG_LEVEL": "WARNING"}
"""Per-request and per-activity INFO lines would cost the shared cores more than the load."""


@dataclass
class Worker:
    """A worker service started with ``uv run --package worker-<queue> serve``."""

    queue: str
    process: ServeProcess
    health_port: int

    def python_pid(self) -> int:
        """The pid of the worker itself: ``uv run`` is only its parent."""
        children = children_of(self.process.pid)
        for pid in sorted(children):
            with contextlib.suppress(OSError):
                if "serve" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                    return pid
        raise AssertionError(f"no serve child under uv pid {self.process.pid}: {children}")

    def resident_bytes(self) -> int:
        """``VmRSS`` of the worker process (not of ``uv``)."""
        for line in Path(f"/proc/{self.python_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def crash(self) -> None:
        """SIGKILL the worker and its ``uv run`` parent: no drain, in-flight work is cut off."""
        self.process.kill()


@dataclass
class System:
    """One dev server, an API and workers, all real processes, sharing files in ``data_dir``."""

    data_dir: Path
    server: DevServerProcess
    api_port: int = field(default_factory=free_port)
    api: ServeProcess | None = None
    workers: list[Worker] = field(default_factory=list[Worker])
    started: list[ServeProcess] = field(default_factory=list[ServeProcess])

    @property
    def api_url(self) -> str:
        """Base URL of the API process."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def side_effects(self) -> SideEffectLog:
        """The log every worker of this system records its effects in."""
        return SideEffectLog(self.data_dir / "side_effects.sqlite3")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child: this server, this system's files, quiet logs."""
        return worker_env(self.server.address, self.data_dir, **QUIET, **extra)

    async def client(self) -> Client:
        """A Temporal client on this system's server."""
        return await Client.connect(self.server.address, data_converter=pydantic_data_converter)

    async def start_api(self, **extra: str) -> None:
        """``uv run --package api serve --port N``, waited for until ``/health`` answers 200."""
        command = [*uv_serve("api"), "--port", str(self.api_port)]
        self.api = self._spawn(command, self.env(**{**AUTH_ENV, **extra}))
        await wait_for_health(self.api_port, 200, self.api, timeout=90)

    async def start_worker(self, queue: str, **extra: str) -> Worker:
        """``uv run --package worker-<queue> serve``, waited for until it polls (health 200)."""
        port = free_port()
        command = uv_serve(WORKER_PACKAGES[queue])
        process = self._spawn(command, self.env(WORKER_HEALTH_PORT=str(port), **extra))
        await wait_for_health(port, 200, process, timeout=90)
        worker = Worker(queue, process, port)
        self.workers.append(worker)
        return worker

    def _spawn(self, command: list[str], env: dict[str, str]) -> ServeProcess:
        process = ServeProcess(command, env=env)
        self.started.append(process)
        return process

    async def stop_worker(self, worker: Worker, *, timeout: float = 60) -> None:
        """SIGTERM (the worker drains) and wait for exit status 0."""
        worker.process.send(signal.SIGTERM)
        code = await worker.process.wait_exit(timeout=timeout)
        assert code == 0, worker.process.output

    def close(self) -> None:
        """Kill by pid every process this system started that still runs."""
        for process in self.started:
            process.kill()


@contextlib.asynccontextmanager
async def running_system(data_dir: Path, *, persisted: bool = False) -> AsyncIterator[System]:
    """A fresh dev server; API and workers are started by the test; all stopped at the end.

    ``persisted`` keeps the server's state in ``data_dir`` so that it survives a crash. It costs
    throughput (the server syncs every write to disk), so only the outage test asks for it.
    """
    database = data_dir / "temporal.sqlite3" if persisted else None
    server = DevServerProcess(db_filename=database)
    system = System(data_dir=data_dir, server=server)
    try:
        await server.start()
        yield system
    finally:
        await asyncio.to_thread(system.close)
        await server.stop()


@contextlib.asynccontextmanager
async def api_client(system: System, *, timeout: float = 30) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the API process with a connection pool sized for the load."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(
        base_url=system.api_url, timeout=timeout, limits=limits, headers=bearer()
    ) as http:
        yield http
