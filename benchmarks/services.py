"""The processes a throughput benchmark runs, and the one environment they all start with.

Every service is a real child process started the way an operator starts it (``python -m api``,
``python -m worker_orders``), so start-up, import weight and memory are measured as deployed.
:meth:`BenchStack.environment` is the only place their variables are chosen: the Temporal
address and namespace, the side-effect log, the API's token keys, tracing on or off (and any
setting a later feature needs, such as a payload codec, belongs there too).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporal_core.testing.dev_server import free_port

__all__ = ["BenchStack", "Service", "cpu_seconds", "rss_mib"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_WORKER_READY = "serving task queues"
"""What the worker service logs once its pollers run (and ``raw_order_worker`` prints too)."""


def rss_mib(pid: int) -> float:
    """Resident memory of process ``pid`` in MiB, from ``/proc``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` so far, from ``/proc``."""
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


@dataclass
class Service:
    """One started child process, its log file, and when it was spawned."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    spawned_at: float
    """``time.time()`` just before the spawn: start-up is counted from here."""
    port: int | None = None

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def log_text(self) -> str:
        """Everything the process wrote so far."""
        return self.log_path.read_text(errors="replace")

    async def wait_for_log(self, marker: str, *, timeout: float = 60.0) -> None:
        """Wait until the process logged ``marker``; raise with its log if it exits or stalls."""
        deadline = time.monotonic() + timeout
        while marker not in self.log_text():
            self._raise_if_exited()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} did not log {marker!r}:\n{self.log_text()}")
            await asyncio.sleep(0.05)

    async def wait_for_http(self, path: str, *, timeout: float = 60.0) -> None:
        """Wait until ``GET path`` on the service's port answers 200."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as http:
            while True:
                self._raise_if_exited()
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(path)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not answering {path}:\n{self.log_text()}")
                await asyncio.sleep(0.05)

    def rss_mib(self) -> float:
        """Resident memory of the process (its own, not its children's)."""
        return rss_mib(self.pid)

    def cpu_seconds(self) -> float:
        """CPU time the process used so far, user and system, all its threads."""
        return cpu_seconds(self.pid)

    def stop(self, *, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited in ``timeout`` seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _raise_if_exited(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise RuntimeError(f"{self.name} exited with {code}:\n{self.log_text()}")


@dataclass
class BenchStack:
    """The shared facts every benchmark process is started with."""

    temporal_address: str
    workdir: Path
    otlp_endpoint: str | None = None
    """Where services export spans when a scenario turns tracing on."""
    key_set: dict[str, Any] = field(default_factory=dict[str, Any])
    """The API's token keys; the load generator sends a token signed with them."""
    _spawned: list[Service] = field(default_factory=list[Service])

    def environment(
        self, *, namespace: str = "default", tracing: bool = False, **extra: str
    ) -> dict[str, str]:
        """The variables of one service process (the only place they are chosen)."""
        env = {
            name: value
            for name, value in os.environ.items()
            # Only what this run decides reaches the services: no stray tracing or API config.
            if not name.startswith(("OTEL_", "TEMPORAL_", "API_", "WORKER_", "CODEC_"))
        }
        env.update(
            TEMPORAL_URL=self.temporal_address,
            TEMPORAL_NAMESPACE=namespace,
            SIDE_EFFECTS_DB=str(self.workdir / f"side-effects-{namespace}.sqlite3"),
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            # The raw SDK baselines encode payloads in plain JSON; so do the services, for a like
            # for like comparison (encryption is a cost of its own, measured on its own).
            CODEC_ENABLED="false",
        )
        if self.key_set:
            env["API_AUTH_KEYS"] = json.dumps(self.key_set)
        if tracing:
            if self.otlp_endpoint is None:
                raise RuntimeError("tracing asked for, but no OTLP receiver runs")
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.otlp_endpoint
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
        env.update(extra)
        return env

    def spawn(
        self, name: str, args: list[str], env: Mapping[str, str], *, port: int | None = None
    ) -> Service:
        """Start ``python args...`` from the repository root, logging to a file."""
        log_path = self.workdir / f"{name}-{len(self._spawned)}.log"
        with log_path.open("wb") as log:
            spawned_at = time.time()
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=REPO_ROOT,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        service = Service(name, process, log_path, spawned_at, port)
        self._spawned.append(service)
        return service

    @contextlib.asynccontextmanager
    async def api(
        self, *, namespace: str, workers: int = 1, tracing: bool = False
    ) -> AsyncGenerator[Service]:
        """The API (``python -m api``) with ``workers`` uvicorn processes, ready to serve."""
        port = free_port()
        env = self.environment(namespace=namespace, tracing=tracing)
        args = ["-m", "api", "--port", str(port), "--workers", str(workers)]
        service = self.spawn(f"api-w{workers}{'-traced' if tracing else ''}", args, env, port=port)
        try:
            await service.wait_for_http("/health/live")
            yield service
        finally:
            service.stop()

    def order_worker(self, *, namespace: str, raw: bool, tracing: bool = False) -> Service:
        """The orders worker: the service (``python -m worker_orders``) or the raw SDK one."""
        module = "benchmarks.raw_order_worker" if raw else "worker_orders"
        name = f"{'raw' if raw else 'ours'}-worker{'-traced' if tracing else ''}"
        return self.spawn(
            name, ["-m", module], self.environment(namespace=namespace, tracing=tracing)
        )

    async def wait_worker_ready(self, service: Service) -> None:
        """Wait until a worker from :meth:`order_worker` polls its queue."""
        await service.wait_for_log(_WORKER_READY)

    def stop_all(self) -> None:
        """Stop every process this stack started that still runs."""
        for service in self._spawned:
            service.stop()
