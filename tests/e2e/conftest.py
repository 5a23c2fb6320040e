"""Helpers shared by the stack tests: a clean environment and a started, always-stopped stack."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.e2e.stack_process import StackPorts, StackProcess


def stack_environment(**extra: str) -> dict[str, str]:
    """The test's environment without telemetry or payload encryption settings.

    Each test chooses its own telemetry; encryption is left to the stack, which turns it on with
    a key of its own, as it does for a developer.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OTEL_", "CODEC_"))
    }
    env.update(extra)
    return env


@dataclass
class RunningStack:
    """A ready stack, its ports and its data folder."""

    process: StackProcess
    ports: StackPorts
    data_dir: Path

    def client(self) -> httpx.Client:
        """An HTTP client for the stack's API."""
        return httpx.Client(base_url=self.ports.api_url, timeout=60)


@contextmanager
def running_stack(
    data_dir: Path,
    *,
    options: list[str] | None = None,
    env: dict[str, str] | None = None,
    ui: bool = False,
) -> Iterator[RunningStack]:
    """Start `uv run dev` on free ports and wait until it is ready; stop it on exit."""
    ports = StackPorts()
    process = StackProcess(
        [*ports.options(ui=ui), "--data-dir", str(data_dir), *(options or [])],
        env=env if env is not None else stack_environment(),
    )
    process.start()
    try:
        process.wait_ready()
        yield RunningStack(process, ports, data_dir)
    finally:
        process.close()
