"""Run ``serve`` as a real child process and watch its output, exit code and HTTP endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def uv_serve(package: str) -> list[str]:
    """``uv run --package <package> serve``: how a developer starts a workspace member's service.

    Every member's ``serve`` script is one dispatcher that starts the package ``--package`` names
    (astral-sh/uv issue 12891), so this is what the command really runs.
    """
    return ["uv", "run", "--package", package, "serve"]


# Variables of the developer's shell that would change what a child worker does.
_INHERITED_NOISE = (
    "TEMPORAL_ADDRESS",  # Temporal's spelling of TEMPORAL_URL, which worker_env sets
    "SERVE_PACKAGE",
    "WORKER_QUEUES",
    "WORKER_HEALTH_PORT",
    "WORKER_METRICS_PORT",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
)


def worker_env(server_address: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a worker child: this server, this test's data files, no exporters."""
    env = {k: v for k, v in os.environ.items() if k not in _INHERITED_NOISE}
    env.update(
        TEMPORAL_URL=server_address,
        SIDE_EFFECTS_DB=str(data_dir / "side_effects.sqlite3"),
        REPORTS_DIR=str(data_dir / "reports"),
        PYTHONUNBUFFERED="1",
        UV_OFFLINE="1",
        UV_FROZEN="1",
    )
    env.update(extra)
    return env


class ServeProcess:
    """A child process in its own process group, its combined output collected line by line."""

    def __init__(self, command: list[str], *, env: dict[str, str], cwd: Path = REPO) -> None:
        self.command = command
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, signum: int) -> None:
        """Signal the process we started (``uv run`` forwards it to ``serve``)."""
        self.process.send_signal(signum)

    def send_to_group(self, signum: int) -> None:
        """Signal the whole process group, as Ctrl-C in a terminal or systemd's stop does.

        Under ``uv run`` both uv and ``serve`` get it, and uv forwards its copy to ``serve``.
        """
        os.killpg(self.process.pid, signum)

    async def wait_for_output(self, text: str, *, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None:
                await asyncio.to_thread(self._reader.join, 5)
                if any(text in line for line in self.lines):
                    return
                code = self.process.returncode
                raise AssertionError(f"exited {code} before {text!r}:\n{self.output}")
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output}")
            await asyncio.sleep(0.05)

    async def wait_exit(self, *, timeout: float = 60) -> int:
        try:
            code = await asyncio.to_thread(self.process.wait, timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running after {timeout}s:\n{self.output}") from None
        await asyncio.to_thread(self._reader.join, 5)
        return code

    def kill(self) -> None:
        """SIGKILL the whole group we started (the command and, under ``uv run``, its child)."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._reader.join(5)


async def get_health(port: int) -> tuple[int, dict[str, Any]] | None:
    """``GET /health``: status and JSON body, or None while nothing listens."""
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.get(f"http://127.0.0.1:{port}/health")
    except httpx.TransportError:
        return None
    return response.status_code, response.json()


async def wait_for_health(
    port: int, status: int, process: ServeProcess, *, timeout: float = 60
) -> dict[str, Any]:
    """Poll ``/health`` until it answers ``status``; return the body."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: tuple[int, dict[str, Any]] | None = None
    while True:
        if process.process.poll() is not None:
            raise AssertionError(f"exited {process.process.returncode}:\n{process.output}")
        last = await get_health(port)
        if last is not None and last[0] == status:
            return last[1]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"health never {status} (last {last}):\n{process.output}")
        await asyncio.sleep(0.2)
