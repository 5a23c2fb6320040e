"""One child process of the stack: started in its own process group, logs streamed, always reaped.

Each child leads a new session, so the terminal's Ctrl-C reaches only the launcher, which then
stops the children in order (API and workers drain before the Temporal server goes). On Linux a
child also asks the kernel for SIGTERM should the launcher die without cleaning up.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

__all__ = ["LogPrinter", "ManagedProcess", "describe_exit"]

_PR_SET_PDEATHSIG = 1
_LINE_LIMIT = 1024 * 1024
_KEEP_LINES = 20


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def describe_exit(returncode: int) -> str:
    """``exited with code 3`` or ``was killed by SIGKILL``: how a process ended, for people."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with code {returncode}"


class LogPrinter:
    """Writes lines as ``name | text``, padded to one column, coloured on a terminal."""

    _COLOURS = (36, 33, 35, 32, 34, 31)

    def __init__(self, names: Sequence[str], stream: TextIO | None = None) -> None:
        """Size the prefix column for ``names``; colour only a terminal without ``NO_COLOR``."""
        self._stream = stream or sys.stdout
        self._width = max(len(name) for name in names)
        self._colour = self._stream.isatty() and not os.environ.get("NO_COLOR")
        self._closed = False
        self._codes = {
            name: self._COLOURS[index % len(self._COLOURS)] for index, name in enumerate(names)
        }

    def line(self, name: str, text: str) -> None:
        """Print one line of ``name``'s output (or of the launcher's own, as ``dev``)."""
        prefix = f"{name:<{self._width}} |"
        if self._colour:
            prefix = f"\033[{self._codes.get(name, 1)}m{prefix}\033[0m"
        if self._closed:
            return
        try:
            # One write per line keeps lines of concurrent services from interleaving mid-line.
            self._stream.write(f"{prefix} {text}\n")
            self._stream.flush()
        except (OSError, ValueError):
            # The reader went away (`uv run dev | head`, a closed terminal): keep draining the
            # children's pipes so they never block on a full one, and stop printing.
            self._closed = True


class ManagedProcess:
    """A named child: ``start()``, its output streamed to a :class:`LogPrinter`, ``stop()``."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        printer: LogPrinter,
        on_exit: Callable[[ManagedProcess], None] | None = None,
    ) -> None:
        """Nothing runs until ``start()``; ``on_exit`` is called when the process ends."""
        self.name = name
        self.command = list(command)
        self._env = dict(env)
        self._cwd = cwd
        self._printer = printer
        self._on_exit = on_exit
        self._process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self.recent_output: deque[str] = deque(maxlen=_KEEP_LINES)
        self.stopping = False

    @property
    def pid(self) -> int | None:
        """The child's process id once started."""
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the child has ended (negative: killed by that signal)."""
        return self._process.returncode if self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the child was started and has not ended."""
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start the child with stdout and stderr merged into the streamed log."""
        self._process = await asyncio.create_subprocess_exec(
            *self.command,
            env=self._env,
            cwd=self._cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            limit=_LINE_LIMIT,
        )
        self._pump = asyncio.create_task(self._stream_output(self._process))

    async def _stream_output(self, process: asyncio.subprocess.Process) -> None:
        stream = process.stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:
                # A line longer than the buffer: print what there is rather than stall the pipe.
                raw = await stream.read(_LINE_LIMIT)
            if not raw:
                break
            text = raw.decode(errors="replace").rstrip("\r\n")
            self.recent_output.append(text)
            self._printer.line(self.name, text)
        await process.wait()
        if self._on_exit is not None:
            self._on_exit(self)

    async def wait(self) -> int:
        """Wait until the child has ended and its output is printed; return its exit status."""
        if self._process is None:
            raise RuntimeError(f"{self.name} was never started")
        if self._pump is not None:
            await asyncio.shield(self._pump)
        return await self._process.wait()

    async def stop(self, *, grace: float, force: asyncio.Event | None = None) -> None:
        """SIGTERM, wait up to ``grace`` seconds (or until ``force`` is set), then SIGKILL.

        Whatever else is left in the child's process group is killed too, so nothing it
        started outlives the stack.
        """
        self.stopping = True
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            if not await self._ended_within(grace, force):
                why = "asked to stop now" if force and force.is_set() else f"after {grace:g}s"
                self._printer.line(self.name, f"still running ({why}); killing it")
        self._kill_group(process.pid)
        await self.wait()

    async def _ended_within(self, grace: float, force: asyncio.Event | None) -> bool:
        waiter = asyncio.create_task(self.wait())
        forced = asyncio.create_task(force.wait()) if force is not None else None
        pending = {waiter} if forced is None else {waiter, forced}
        _, pending = await asyncio.wait(pending, timeout=grace, return_when="FIRST_COMPLETED")
        if forced is not None:
            forced.cancel()
        if waiter in pending:
            waiter.cancel()
            return False
        return True

    @staticmethod
    def _kill_group(pid: int) -> None:
        # The child leads its own session, so its process group id is its pid.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
