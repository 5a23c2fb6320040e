"""A worker's own Prometheus figures, next to the SDK's: in-flight activities and drain state.

The SDK runtime serves its Prometheus endpoint from Rust and cannot take metrics from
``prometheus_client``; metrics created through the runtime's ``MetricMeter`` are exported by that
same endpoint, so one scrape sees the SDK's task-slot and latency figures and these:

* ``worker_in_flight_activities{task_queue}``: activities running on this process now;
* ``worker_draining``: 1 from the stop signal until the process exits, else 0;
* ``worker_drain_seconds``: how long the last drain took (set once it is over, so it is seen only
  by a scrape that lands between the end of the drain and the exit).

With no metrics port the runtime's meter is a no-op, and so is every call here.
"""

from __future__ import annotations

from collections.abc import Iterable

from temporalio.common import MetricMeter

__all__ = ["DrainMetrics"]


class DrainMetrics:
    """Sets the drain and in-flight gauges through the Temporal runtime's meter."""

    def __init__(self, meter: MetricMeter, queues: Iterable[str]) -> None:
        """Create the gauges and report every queue idle, so a fresh worker is seen at zero."""
        self._in_flight = meter.create_gauge(
            "worker_in_flight_activities", "Activities running on this worker process now."
        )
        self._draining = meter.create_gauge(
            "worker_draining", "1 while the worker drains after a stop signal, else 0."
        )
        self._drain_seconds = meter.create_gauge_float(
            "worker_drain_seconds", "How long the last drain took, in seconds."
        )
        for queue in queues:
            self.in_flight_changed(queue, 0)
        self._draining.set(0)

    def in_flight_changed(self, task_queue: str, count: int) -> None:
        """``task_queue`` has ``count`` activities running now."""
        self._in_flight.set(count, {"task_queue": task_queue})

    def drain_started(self) -> None:
        """The worker stopped polling and waits for its in-flight activities."""
        self._draining.set(1)

    def drain_finished(self, seconds: float) -> None:
        """The drain is over after ``seconds``; the worker is still draining until it exits."""
        self._drain_seconds.set(seconds)
