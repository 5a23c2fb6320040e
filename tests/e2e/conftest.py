"""Helpers shared by the stack tests: a clean environment and a started, always-stopped stack."""

from __future__ import annotations

import os
import re
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

    def token(self, variable: str = "TOKEN") -> str:
        """A token the stack printed when ready (``export TOKEN=...`` is alice's)."""
        found = re.findall(rf"export {variable}=(\S+)", self.process.output)
        assert found, f"the stack printed no {variable}:\n{self.process.output[-3000:]}"
        return found[-1]

    def client(self, variable: str = "TOKEN") -> httpx.Client:
        """An HTTP client for the stack's API, sending the token the stack printed as it."""
        headers = {"Authorization": f"Bearer {self.token(variable)}"}
        return httpx.Client(base_url=self.ports.api_url, timeout=60, headers=headers)


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
