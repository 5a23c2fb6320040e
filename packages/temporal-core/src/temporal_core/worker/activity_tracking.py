"""Which activities a worker process is running right now, so a drain can say what it waited for.

:class:`ActivityTracker` is a worker interceptor: it notes every activity as it starts and how it
ended. The runner reads :meth:`ActivityTracker.in_flight` when a shutdown signal arrives and
:meth:`ActivityTracker.outcomes_of` once the workers have drained, and logs both.
"""

from __future__ import annotations

import asyncio
import threading
import time
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
    """Keeps the set of running activities and the outcome of the ones that finished."""

    def __init__(self) -> None:
        """Start with nothing running."""
        self._lock = threading.Lock()
        self._running: dict[str, ActivityRun] = {}
        self._outcomes: dict[str, str] = {}

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

    def outcomes_of(self, runs: list[ActivityRun]) -> dict[str, str]:
        """How each of ``runs`` ended: completed, failed, cancelled, or still running."""
        with self._lock:
            return {run.key: self._outcomes.get(run.key, "still running") for run in runs}

    def _started(self, run: ActivityRun) -> None:
        with self._lock:
            self._running[run.key] = run

    def _finished(self, run: ActivityRun, outcome: str) -> None:
        with self._lock:
            self._running.pop(run.key, None)
            self._outcomes[run.key] = outcome


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
