"""The Temporal runtime of a worker process: SDK core logs through Python logging, metrics optional.

The SDK's Rust core writes its own log lines straight to stdout unless told otherwise; routing
them into Python logging keeps one format per process (text or JSON, see ``log_setup``). With a
metrics address the same runtime serves the SDK's Prometheus metrics (workers, pollers, task
latencies) on ``http://host:port/metrics``. :func:`install_worker_runtime` must run before the
first client connects, because a client is bound to the runtime that existed when it was created.
"""

from __future__ import annotations

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

__all__ = ["CORE_LOGGER", "install_worker_runtime"]

CORE_LOGGER = "temporalio.core"
"""The Python logger that receives the SDK core's log records."""


def install_worker_runtime(
    *, metrics_host: str | None = None, metrics_port: int | None = None
) -> None:
    """Make the default Temporal runtime forward core logs and, given a port, serve metrics.

    Raises ``RuntimeError`` when a runtime is already the default (a client already exists) and
    ``ValueError`` when the metrics address cannot be bound.
    """
    metrics = (
        PrometheusConfig(bind_address=f"{metrics_host or '127.0.0.1'}:{metrics_port}")
        if metrics_port is not None
        else None
    )
    runtime = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=LogForwardingConfig(logger=logging.getLogger(CORE_LOGGER)),
            ),
            metrics=metrics,
        )
    )
    Runtime.set_default(runtime, error_if_already_set=True)
