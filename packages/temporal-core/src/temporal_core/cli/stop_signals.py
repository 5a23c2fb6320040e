"""Tell a stop signal's echo from a deliberate "stop now": the second-signal rule of our services.

A service drains on its first SIGINT/SIGTERM and exits at once on a second. But one keypress or
one ``kill`` often arrives twice within milliseconds:

- Ctrl-C sends SIGINT to the terminal's whole foreground process group, which holds ``uv run``
  and its child; uv passes the SIGINT on to the child as well (about 0.2 s later, measured);
- SIGTERM to a process group (systemd's default ``KillMode``, ``kill -- -PGID``) reaches both uv
  and the child, and uv forwards its copy to the child again.

So a second stop signal within :data:`REPEAT_WINDOW_SECONDS` of the first counts as the same
request; only one sent after that window means "stop now". :class:`StopSignals` is the pure
decision (its clock is injectable); each service logs the outcome in its own words.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

__all__ = ["REPEAT_WINDOW_SECONDS", "StopRequest", "StopSignals"]

REPEAT_WINDOW_SECONDS = 1.0
"""A stop signal this soon after the first one is its echo (uv, the process group), not a user
asking again. Long enough for uv's forwarded copy, short enough that a person pressing Ctrl-C
again because the drain takes too long is heard."""


class StopRequest(enum.Enum):
    """What one stop signal means, given the ones before it."""

    FIRST = "first"
    """Begin a graceful stop (drain)."""
    REPEATED = "repeated"
    """The first request delivered again within the window: keep draining."""
    FORCE = "force"
    """A deliberate further request after the window: stop now."""


class StopSignals:
    """Classifies each stop signal a process receives (see the module docstring)."""

    def __init__(
        self,
        *,
        window: float = REPEAT_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``window`` in seconds; ``clock`` returns monotonic seconds (injectable for tests)."""
        self.window = window
        self._clock = clock
        self._first_at: float | None = None

    @property
    def received(self) -> bool:
        """Whether a stop was requested at all."""
        return self._first_at is not None

    def classify(self) -> StopRequest:
        """Record one stop signal (SIGINT or SIGTERM alike) and say what it asks for.

        The window runs from the first signal, so a stream of echoes cannot postpone a
        deliberate request indefinitely; any stop signal inside it is the same request, so a
        Ctrl-C followed a moment later by a supervisor's SIGTERM is still one graceful stop.
        """
        now = self._clock()
        if self._first_at is None:
            self._first_at = now
            return StopRequest.FIRST
        if now - self._first_at <= self.window:
            return StopRequest.REPEATED
        return StopRequest.FORCE
