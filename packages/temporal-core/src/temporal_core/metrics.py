"""Expose the Temporal SDK's own metrics (workers, pollers, task latencies) for Prometheus.

The SDK's Rust core records them; :func:`serve_prometheus_metrics` makes the process's default
runtime publish them on ``http://host:port/metrics``. It must run before the first client
connects, because a client is bound to the runtime that existed when it was created.
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

__all__ = ["serve_prometheus_metrics"]


def serve_prometheus_metrics(host: str, port: int) -> None:
    """Make the default Temporal runtime serve Prometheus metrics on ``host:port``.

    Raises ``RuntimeError`` when a runtime is already the default (a client already exists) or
    the address cannot be bound.
    """
    runtime = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"{host}:{port}"))
    )
    Runtime.set_default(runtime, error_if_already_set=True)
