"""The README's `uv run dev` as a child process of a test, on free ports, always cleaned up.

The stack runs in a session of its own, so `interrupt()` is exactly a terminal Ctrl-C: SIGINT to
the whole foreground group (uv and the launcher). Every process the stack started is recorded
while it runs, so a test can assert that none outlives it, and `close()` kills stragglers by pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dev_stack.stack import READY_MARKER, READY_SUMMARY_END
from temporal_core.testing.dev_server import free_port

ROOT = Path(__file__).resolve().parents[2]
STACK_COMMAND = ("uv", "run", "dev")
"""The README's first command; tests append port options to it."""

START_TIMEOUT = 180.0
STOP_TIMEOUT = 90.0


@dataclass
class StackPorts:
    """Free loopback ports for every listener of one stack."""

    temporal: int = field(default_factory=free_port)
    ui: int = field(default_factory=free_port)
    api: int = field(default_factory=free_port)
    orders_health: int = field(default_factory=free_port)
    approvals_health: int = field(default_factory=free_port)
    reports_health: int = field(default_factory=free_port)
    codec: int = field(default_factory=free_port)

    def options(self, *, ui: bool) -> list[str]:
        """The `dev` options that put the stack on these ports."""
        options = [
            "--temporal-port", str(self.temporal),
            "--api-port", str(self.api),
            "--orders-health-port", str(self.orders_health),
            "--approvals-health-port", str(self.approvals_health),
            "--reports-health-port", str(self.reports_health),
            "--codec-port", str(self.codec),
        ]  # fmt: skip
        options += ["--ui-port", str(self.ui)] if ui else ["--no-ui"]
        return options

    @property
    def api_url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.api}"


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (Linux /proc), whatever session it moved to."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses; fields resume after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (zombies count as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


class StackProcess:
    """`uv run dev <options>` started from the repository root with its output captured."""

    def __init__(self, options: Iterable[str], *, env: dict[str, str] | None = None) -> None:
        """Nothing starts until ``start()``; ``env`` replaces the inherited environment."""
        if shutil.which(STACK_COMMAND[0]) is None:
            raise RuntimeError("uv is not on PATH; the stack tests run the README's `uv run dev`")
        self.command = [*STACK_COMMAND, *options]
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("NO_COLOR", "1")
        self.lines: list[str] = []
        self.started_pids: set[int] = set()
        self._process: subprocess.Popen[str] | None = None
        self._changed = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[str]:
        """The `uv run` process."""
        if self._process is None:
            raise RuntimeError("the stack was not started")
        return self._process

    @property
    def output(self) -> str:
        """Everything the stack printed so far."""
        with self._changed:
            return "\n".join(self.lines)

    def start(self) -> None:
        """Start the stack in a new session."""
        self._process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], *, timeout: float) -> str:
        """The first output line matching ``predicate``; fails if the stack exits first."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if predicate(line):
                        return line
                seen = len(self.lines)
                if self.process.poll() is not None and not self._reader_alive():
                    raise AssertionError(
                        f"the stack exited with {self.process.returncode}:\n{self.tail()}"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching line after {timeout:g}s:\n{self.tail()}")
                self._changed.wait(min(remaining, 0.5))

    def _reader_alive(self) -> bool:
        return self._reader is not None and self._reader.is_alive()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Block until the stack has printed its whole ready message; record its processes."""
        self.wait_for(lambda line: READY_MARKER in line, timeout=timeout)
        self.wait_for(lambda line: line.endswith(READY_SUMMARY_END), timeout=timeout)
        self.started_pids = children_of(self.process.pid)

    def tail(self, count: int = 60) -> str:
        """The last ``count`` lines of output, for failure messages."""
        with self._changed:
            return "\n".join(self.lines[-count:])

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to the stack's process group, as a terminal sends it."""
        os.killpg(self.process.pid, signal.SIGINT)

    def wait_exit(self, timeout: float = STOP_TIMEOUT) -> int:
        """The exit status once the stack has ended and its output is read."""
        code = self.process.wait(timeout)
        if self._reader is not None:
            self._reader.join(10)
        return code

    def close(self) -> None:
        """Stop the stack if it still runs, and kill by pid anything it left behind."""
        if self._process is None:
            return
        self.started_pids |= children_of(self._process.pid)
        if self._process.poll() is None:
            try:
                self.interrupt()
                self.wait_exit()
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self._process.kill()
                self._process.wait()
        for pid in self.started_pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
