"""uvicorn's server with the services' second-signal rule: an echoed Ctrl-C is not "force quit".

uvicorn force-quits on a second SIGINT: it stops waiting for open requests and skips the
lifespan shutdown. Under ``uv run --package api serve`` one Ctrl-C arrives twice (the terminal's,
then uv's copy about 0.2 s later), so a plain Ctrl-C cut in-flight requests off with a 500. Here
a stop signal within :data:`~temporal_core.cli.stop_signals.REPEAT_WINDOW_SECONDS` of the first
is logged and ignored; a further one after the window forces the quit (SIGTERM as well as SIGINT,
as for the workers).
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

import uvicorn
from temporal_core.cli.stop_signals import StopRequest, StopSignals

__all__ = ["GracefulServer"]

logger = logging.getLogger("uvicorn.error")


class GracefulServer(uvicorn.Server):
    """A :class:`uvicorn.Server` that takes a repeated stop signal as one (module docstring)."""

    def __init__(self, config: uvicorn.Config) -> None:
        """Serve ``config`` as uvicorn does; only the signal handling differs."""
        super().__init__(config)
        self._stop_signals = StopSignals()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Handle SIGINT/SIGTERM as uvicorn does, but with the repeat window (module docstring)."""
        name = signal.Signals(sig).name
        request = self._stop_signals.classify()
        if request is StopRequest.REPEATED:
            logger.info(
                "%s again within %gs (repeated by the process group / uv): still shutting down "
                "gracefully",
                name,
                self._stop_signals.window,
            )
            return
        super().handle_exit(sig, frame)
        if request is StopRequest.FORCE:
            logger.warning("%s again: not waiting for open requests any longer", name)
            self.force_exit = True
