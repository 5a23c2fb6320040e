"""Run the workers of one process: connect, poll, report health, drain on a signal.

:class:`WorkerRunner` is what ``serve`` runs for worker packages. Its life:

1. route SDK core logs into Python logging and publish Prometheus metrics (optional: the SDK's,
   plus in-flight and drain gauges from :mod:`~temporal_core.worker.drain_metrics`), configure
   telemetry, open the health endpoint (optional);
2. connect through ``TemporalClientService``, retrying while the server is unreachable (the health
   endpoint answers 503 meanwhile, so an orchestrator sees the worker is not ready);
3. run one ``temporalio`` worker per queue until SIGTERM/SIGINT;
4. on the first signal stop polling and let in-flight activities finish for up to the drain timeout
   (the SDK cancels what is still running after that); on a second signal exit at once, unless it
   came within :data:`~temporal_core.cli.stop_signals.REPEAT_WINDOW_SECONDS` of the first: that
   is the same Ctrl-C or SIGTERM delivered twice (by the process group and by ``uv run``).

:meth:`WorkerRunner.run` returns the exit code; the caller decides how to leave the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from temporal_core.cli.stop_signals import StopRequest, StopSignals
from temporal_core.client.service import TemporalClientService, TemporalUnavailableError
from temporal_core.client.settings import TemporalSettings
from temporal_core.observability.tracing import configure_telemetry
from temporal_core.worker.activity_tracking import ActivityRun, ActivityTracker
from temporal_core.worker.build import build_worker
from temporal_core.worker.drain_metrics import DrainMetrics
from temporal_core.worker.health import HealthReport, HealthServer
from temporal_core.worker.runtime import install_worker_runtime

__all__ = ["EXIT_FAILURE", "EXIT_OK", "RunnerOptions", "WorkerRunner"]

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1

_CONNECT_RETRY_MAX = 10.0
_HEALTH_CHECK_TIMEOUT = 2.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass(frozen=True)
class RunnerOptions:
    """What to serve and how; the CLI builds this from its options."""

    queues: tuple[str, ...]
    service_name: str
    drain_timeout: timedelta | None = None
    """None: each queue's drain timeout from settings (``TEMPORAL_DRAIN_TIMEOUT`` and overrides)."""
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None


class WorkerRunner:
    """Serves ``options.queues`` in this process until told to stop (see the module docstring)."""

    def __init__(
        self,
        options: RunnerOptions,
        settings: TemporalSettings,
        *,
        exit_now: Callable[[int], None] | None = None,
        payload_codec: PayloadCodec | None = None,
    ) -> None:
        """Keep the options; nothing starts until :meth:`run`.

        ``exit_now`` ends the process on a second signal (default: ``os._exit``);
        ``payload_codec`` encrypts the payloads of every worker (``serve`` passes the configured
        one).
        """
        self.options = options
        self.settings = settings
        self._exit_now = exit_now or os._exit
        self._service = TemporalClientService(settings, payload_codec=payload_codec)
        self._metrics: DrainMetrics | None = None  # set once the runtime exists
        self._tracker = ActivityTracker(on_change=self._in_flight_changed)
        self._workers: dict[str, Worker] = {}
        self._stop = asyncio.Event()
        self._stop_signal: int | None = None
        self._stop_signals = StopSignals()

    def drain_timeout(self, queue: str) -> timedelta:
        """How long a shutdown waits for ``queue``'s in-flight activities."""
        if self.options.drain_timeout is not None:
            return self.options.drain_timeout
        per_queue = self.settings.for_queue(queue).drain_timeout
        return per_queue if per_queue is not None else self.settings.drain_timeout

    # Life cycle -------------------------------------------------------------------------------
    async def run(self) -> int:
        """Serve until a signal (exit code 0) or a worker failure (exit code 1)."""
        try:
            install_worker_runtime(
                metrics_host=self.options.metrics_host, metrics_port=self.options.metrics_port
            )
        except (RuntimeError, ValueError) as error:
            # The SDK reports a taken metrics port as ValueError, a second runtime as RuntimeError.
            logger.error("cannot set up the Temporal runtime: %s", error)
            return EXIT_FAILURE
        self._metrics = DrainMetrics(Runtime.default().metric_meter, self.options.queues)
        if self.options.metrics_port is not None:
            logger.info(
                "Prometheus metrics on http://%s:%d/metrics",
                self.options.metrics_host,
                self.options.metrics_port,
            )
        configure_telemetry(self.options.service_name)
        self._install_signal_handlers()
        health = self._health_server()
        if health is not None:
            try:
                await health.start()
            except OSError as error:
                logger.error(
                    "cannot serve health on %s:%d: %s", health.host, health.port, error.strerror
                )
                self._remove_signal_handlers()
                return EXIT_FAILURE
        try:
            client = await self._connect()
            if client is None:
                logger.info("stopped before connecting to Temporal")
                return EXIT_OK
            return await self._serve(client)
        finally:
            if health is not None:
                await health.stop()
            self._remove_signal_handlers()

    async def _connect(self) -> Client | None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                return await self._service.get_client()
            except TemporalUnavailableError as error:
                logger.warning("%s; retrying in %.1fs", error, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)
            delay = min(delay * 2, _CONNECT_RETRY_MAX)
        return None

    async def _serve(self, client: Client) -> int:
        for queue in self.options.queues:
            self._workers[queue] = build_worker(
                client,
                queue,
                settings=self.settings,
                interceptors=[self._tracker],
                graceful_shutdown_timeout=self.drain_timeout(queue),
            )
        runs = {
            asyncio.create_task(worker.run(), name=f"worker-{queue}"): queue
            for queue, worker in self._workers.items()
        }
        logger.info(
            "serving task queues %s on %s (namespace %s) as %s",
            ", ".join(self.options.queues),
            self.settings.url,
            self.settings.namespace,
            self.options.service_name,
        )
        stop_wait = asyncio.create_task(self._stop.wait())
        done, _ = await asyncio.wait([*runs, stop_wait], return_when=asyncio.FIRST_COMPLETED)
        failed = [task for task in runs if task in done]
        exit_code = EXIT_OK
        for task in failed:
            error = task.exception() if not task.cancelled() else None
            logger.error(
                "worker for queue %s stopped unexpectedly: %s",
                runs[task],
                error or "cancelled",
                exc_info=error,
            )
            exit_code = EXIT_FAILURE
        await self._drain(runs)
        stop_wait.cancel()
        return exit_code

    async def _drain(self, runs: dict[asyncio.Task[None], str]) -> None:
        """Shut every worker down, logging what was in flight and how it ended."""
        in_flight = self._tracker.watch_in_flight()
        reason = signal.Signals(self._stop_signal).name if self._stop_signal else "worker failure"
        for queue in self.options.queues:
            queue_runs = [run for run in in_flight if run.task_queue == queue]
            logger.info(
                "%s: draining queue %s: polling stopped, waiting up to %ss for %s%s",
                reason,
                queue,
                _seconds(self.drain_timeout(queue)),
                _in_flight(len(queue_runs)),
                (": " + "; ".join(run.describe() for run in queue_runs)) if queue_runs else "",
            )
        if self._metrics is not None:
            self._metrics.drain_started()
        started = time.monotonic()
        await asyncio.gather(
            *(worker.shutdown() for worker in self._workers.values()), return_exceptions=True
        )
        # Await the run tasks as well so no exception is left unretrieved (failures that ended a
        # run early were logged by the caller).
        await asyncio.gather(*runs, return_exceptions=True)
        elapsed = time.monotonic() - started
        if self._metrics is not None:
            self._metrics.drain_finished(elapsed)
        self._log_drained(in_flight, elapsed)

    def _in_flight_changed(self, task_queue: str, running: int) -> None:
        if self._metrics is not None:
            self._metrics.in_flight_changed(task_queue, running)

    def _log_drained(self, in_flight: list[ActivityRun], elapsed: float) -> None:
        outcomes = self._tracker.outcomes_of(in_flight)
        if not in_flight:
            logger.info("drained in %.1fs: no activities were in flight", elapsed)
            return
        summary = "; ".join(f"{run.describe()} {outcomes[run.key]}" for run in in_flight)
        logger.info("drained in %.1fs: %s", elapsed, summary)
        unfinished = [run for run in in_flight if outcomes[run.key] != "completed"]
        if unfinished:
            logger.warning(
                "%s did not complete before the drain timeout; Temporal retries them on "
                "another worker",
                _in_flight(len(unfinished)),
            )

    # Signals ----------------------------------------------------------------------------------
    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, self.request_stop, signum)

    def _remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)

    def request_stop(self, signum: int = signal.SIGTERM) -> None:
        """Begin a graceful stop; a further request after the repeat window exits immediately.

        A request within the window of the first is that one delivered again (see
        :mod:`temporal_core.cli.stop_signals`) and only logged.
        """
        name = signal.Signals(signum).name
        request = self._stop_signals.classify()
        if request is StopRequest.FIRST:
            logger.info(
                "%s received: draining (send it again after %gs to exit immediately)",
                name,
                self._stop_signals.window,
            )
            self._stop_signal = signum
            self._stop.set()
        elif request is StopRequest.REPEATED:
            logger.info(
                "%s again within %gs (repeated by the process group / uv): still draining",
                name,
                self._stop_signals.window,
            )
        else:
            running = self._tracker.in_flight()
            logger.warning(
                "%s again: exiting now without waiting for %s", name, _in_flight(len(running))
            )
            _flush_logs()
            self._exit_now(128 + signum)

    # Health -----------------------------------------------------------------------------------
    def _health_server(self) -> HealthServer | None:
        if self.options.health_port is None:
            return None
        return HealthServer(
            self.health, host=self.options.health_host, port=self.options.health_port
        )

    async def health(self) -> HealthReport:
        """Healthy only while every queue's worker polls and the server answers a health check."""
        stopping = self._stop.is_set()
        reachable = self._service.is_connected and await self._service.health_check(
            timeout=_HEALTH_CHECK_TIMEOUT
        )
        queues: dict[str, Any] = {}
        for queue in self.options.queues:
            worker = self._workers.get(queue)
            polling = worker is not None and worker.is_running and not stopping
            queues[queue] = {
                "polling": polling,
                "in_flight_activities": len(self._tracker.in_flight(queue)),
            }
        healthy = reachable and not stopping and all(q["polling"] for q in queues.values())
        detail: dict[str, Any] = {
            "status": "ok" if healthy else "unavailable",
            "service": self.options.service_name,
            "temporal": {
                "url": self.settings.url,
                "namespace": self.settings.namespace,
                "reachable": reachable,
            },
            "draining": stopping,
            "queues": queues,
        }
        return HealthReport(healthy=healthy, detail=detail)


def _in_flight(count: int) -> str:
    return f"{count} in-flight activit{'y' if count == 1 else 'ies'}"


def _seconds(value: timedelta) -> str:
    seconds = value.total_seconds()
    return f"{seconds:g}"


def _flush_logs() -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
