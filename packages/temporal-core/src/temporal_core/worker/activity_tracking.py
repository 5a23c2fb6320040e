"""Which activities a worker process is running right now, so a drain can say what it waited for.

:class:`ActivityTracker` is a worker interceptor: it notes every activity while it runs. When a
shutdown signal arrives the runner calls :meth:`ActivityTracker.watch_in_flight`, which returns
what is running and from then on keeps how each of those runs ends; once the workers have drained
it reads :meth:`ActivityTracker.outcomes_of` and logs both. Outcomes of runs nobody watches are
not kept, so a worker that runs for months holds only what is running now. An ``on_change``
callback hears each queue's running count whenever it changes (the runner's metrics gauge).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio import activity
from temporalio.exceptions import CancelledError as TemporalCancelledError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

__all__ = ["ActivityRun", "ActivityTracker"]


@dataclass(frozen=True)
class ActivityRun:
    """One activity attempt on this worker process."""

    key: str
    """Unique per attempt: workflow id, activity id and attempt number."""
    task_queue: str
    activity_type: str
    activity_id: str
    workflow_id: str | None
    attempt: int
    started_at: float
    """``time.monotonic()`` when it started."""

    def describe(self) -> str:
        """``charge_payment (workflow order-1, activity 1, attempt 2)`` for log lines."""
        return (
            f"{self.activity_type} (workflow {self.workflow_id}, activity {self.activity_id}, "
            f"attempt {self.attempt})"
        )


class ActivityTracker(Interceptor):
    """Keeps the running activities, and how the runs a drain waits for ended."""

    def __init__(self, *, on_change: Callable[[str, int], None] | None = None) -> None:
        """Start with nothing running and nothing watched.

        ``on_change(task_queue, running)`` is called, under the tracker's lock so counts arrive in
        order, each time an activity of ``task_queue`` starts or ends; it must be quick.
        """
        self._lock = threading.Lock()
        self._on_change = on_change
        self._running: dict[str, ActivityRun] = {}
        self._watched: dict[str, str] = {}  # run key -> outcome, for runs a drain waits for

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap every activity this worker runs."""
        return _TrackingInbound(next, self)

    def in_flight(self, task_queue: str | None = None) -> list[ActivityRun]:
        """Activities running now (on ``task_queue`` only, when given), oldest first."""
        with self._lock:
            runs = [
                run
                for run in self._running.values()
                if task_queue is None or run.task_queue == task_queue
            ]
        return sorted(runs, key=lambda run: run.started_at)

    def watch_in_flight(self) -> list[ActivityRun]:
        """What runs now, oldest first; from now on how each of these ends is kept.

        A drain calls this when it begins and reads :meth:`outcomes_of` for the same runs when
        it is over. Runs that start later, or ended earlier, are not kept.
        """
        with self._lock:
            runs = sorted(self._running.values(), key=lambda run: run.started_at)
            for run in runs:
                self._watched.setdefault(run.key, _STILL_RUNNING)
        return runs

    def outcomes_of(self, runs: list[ActivityRun]) -> dict[str, str]:
        """How each watched run ended: completed, failed, cancelled or still running."""
        with self._lock:
            return {run.key: self._watched.get(run.key, _STILL_RUNNING) for run in runs}

    def retained(self) -> int:
        """How many runs the tracker holds: the running ones plus the watched ones."""
        with self._lock:
            return len(self._running.keys() | self._watched.keys())

    def _started(self, run: ActivityRun) -> None:
        with self._lock:
            self._running[run.key] = run
            self._report(run.task_queue)

    def _finished(self, run: ActivityRun, outcome: str) -> None:
        with self._lock:
            self._running.pop(run.key, None)
            if run.key in self._watched:
                self._watched[run.key] = outcome
            self._report(run.task_queue)

    def _report(self, task_queue: str) -> None:
        # Called with the lock held.
        if self._on_change is not None:
            running = sum(1 for run in self._running.values() if run.task_queue == task_queue)
            self._on_change(task_queue, running)


_STILL_RUNNING = "still running"


class _TrackingInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, tracker: ActivityTracker) -> None:
        super().__init__(next)
        self._tracker = tracker

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        run = ActivityRun(
            key=f"{info.workflow_id}/{info.activity_id}/{info.attempt}",
            task_queue=info.task_queue,
            activity_type=info.activity_type,
            activity_id=info.activity_id,
            workflow_id=info.workflow_id,
            attempt=info.attempt,
            started_at=time.monotonic(),
        )
        self._tracker._started(run)  # pyright: ignore[reportPrivateUsage]
        outcome = "failed"
        try:
            result = await super().execute_activity(input)
            outcome = "completed"
            return result
        except (asyncio.CancelledError, TemporalCancelledError):
            outcome = "cancelled"
            raise
        finally:
            self._tracker._finished(run, outcome)  # pyright: ignore[reportPrivateUsage]
