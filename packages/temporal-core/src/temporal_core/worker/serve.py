"""``serve`` for worker packages: pick the queues, set up logging, run them until a signal.

Reached through the shared dispatcher (``uv run --package worker-orders serve``), through
``python -m worker_orders``, or from a container with ``SERVE_PACKAGE``. ``package`` says which
worker package was asked for; its entry points name its default queues. Without a package every
installed worker queue is served; ``--queue`` (or ``WORKER_QUEUES``) names exactly the queues.

Exit codes: 0 after a clean stop (including a drain), 1 when a worker fails, 2 for bad input
(options, ``TEMPORAL_*`` or ``CODEC_*`` settings, unknown queues), 128+N when a second signal N
cut a drain short.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

import typer
from temporalio.converter import PayloadCodec

from temporal_core.authoring.registry import (
    RegistryError,
    WorkerPackage,
    registered_queues,
    registry,
)
from temporal_core.cli.process_exit import exit_process
from temporal_core.client.codec_settings import load_payload_codec
from temporal_core.client.settings import SettingsError, TemporalSettings
from temporal_core.observability.log_setup import LogFormatOption, LogLevelOption, configure_logging
from temporal_core.worker.runner import EXIT_FAILURE, RunnerOptions, WorkerRunner

__all__ = ["EXIT_USAGE", "main", "select_queues", "service_name_for"]

logger = logging.getLogger("temporal_core.worker.serve")

EXIT_USAGE = 2
SHARED_SERVICE_NAME = "worker"
"""Telemetry service name of a process that serves queues of several worker packages."""
QUEUES_ENV = "WORKER_QUEUES"


# Plain (not rich) help and errors: they end up in container logs, where boxes wrap badly.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def select_queues(
    requested: Sequence[str], package: str | None, installed: Sequence[WorkerPackage]
) -> tuple[str, ...]:
    """The queues to serve: ``requested`` if given, else ``package``'s, else every installed one.

    Raises ``typer.BadParameter`` naming the unknown queues and the known ones.
    """
    known = registered_queues(installed)
    if requested:
        unknown = [queue for queue in requested if queue not in known]
        if unknown:
            raise typer.BadParameter(
                f"unknown queue{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"known queues: {', '.join(known) or '(no worker packages installed)'}",
                param_hint="'--queue' / WORKER_QUEUES",
            )
        return tuple(dict.fromkeys(requested))
    if package is not None:
        owned = registry.package(package)
        if owned is not None:
            return owned.queues
    return tuple(known)


def service_name_for(queues: Sequence[str], installed: Sequence[WorkerPackage]) -> str:
    """The owning distribution's name when one package owns every queue, else ``worker``."""
    owners = {package.distribution for package in installed if set(package.queues) & set(queues)}
    return owners.pop() if len(owners) == 1 else SHARED_SERVICE_NAME


def _queues_from_env() -> list[str]:
    raw = os.environ.get(QUEUES_ENV, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


@app.command(name="serve")
def serve(
    ctx: typer.Context,
    queue: Annotated[
        list[str] | None,
        typer.Option(
            "--queue",
            "-q",
            help="Task queue to serve (repeatable). Default: the package's queues, or all "
            f"installed ones. Env: {QUEUES_ENV} (comma-separated).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        LogLevelOption,
        typer.Option(envvar="LOG_LEVEL", case_sensitive=False, help="Lowest level logged."),
    ] = LogLevelOption.INFO,
    log_format: Annotated[
        LogFormatOption,
        typer.Option(
            envvar="LOG_FORMAT",
            case_sensitive=False,
            help="text: one readable line per event; json: one JSON object per line.",
        ),
    ] = LogFormatOption.TEXT,
    drain_timeout: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds a shutdown waits for in-flight activities. "
            "Default: TEMPORAL_DRAIN_TIMEOUT (30).",
            show_default=False,
        ),
    ] = None,
    health_port: Annotated[
        int | None,
        typer.Option(
            envvar="WORKER_HEALTH_PORT",
            min=1,
            max=65535,
            help="Serve GET /health on this port (off when unset).",
            show_default=False,
        ),
    ] = None,
    health_host: Annotated[
        str, typer.Option(envvar="WORKER_HEALTH_HOST", help="Address the health endpoint binds.")
    ] = "127.0.0.1",
    metrics_port: Annotated[
        int | None,
        typer.Option(
            envvar="WORKER_METRICS_PORT",
            min=1,
            max=65535,
            help="Serve Temporal's Prometheus metrics on this port (off when unset).",
            show_default=False,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(envvar="WORKER_METRICS_HOST", help="Address the metrics endpoint binds.")
    ] = "127.0.0.1",
) -> None:
    """Run Temporal workers for task queues until SIGTERM/SIGINT, then drain and exit."""
    package: str | None = ctx.obj
    configure_logging(log_level.value, log_format.value)
    try:
        settings = TemporalSettings.load()
        payload_codec = load_payload_codec()
    except SettingsError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if not settings.enabled:
        typer.echo("Error: TEMPORAL_ENABLED is false, but a worker needs Temporal", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        installed = registry.discover()
    except RegistryError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(EXIT_FAILURE) from None
    queues = select_queues(queue or _queues_from_env(), package, installed)
    if not queues:
        typer.echo(
            "Error: no worker packages are installed, so there is nothing to serve", err=True
        )
        raise typer.Exit(EXIT_FAILURE)
    options = RunnerOptions(
        queues=queues,
        service_name=service_name_for(queues, installed),
        drain_timeout=timedelta(seconds=drain_timeout) if drain_timeout is not None else None,
        health_host=health_host,
        health_port=health_port,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
    )
    exit_process(_run(options, settings, payload_codec))


def _run(
    options: RunnerOptions, settings: TemporalSettings, payload_codec: PayloadCodec | None
) -> int:
    try:
        return asyncio.run(WorkerRunner(options, settings, payload_codec=payload_codec).run())
    except Exception:
        logger.exception("worker process failed")
        return EXIT_FAILURE


def main(argv: Sequence[str], *, package: str | None) -> None:
    """Parse ``argv`` (without the program name) and serve; ``package`` picks default queues.

    A leading ``serve`` word is accepted, so ``python -m worker_orders serve --queue orders``
    (the usage guide's form) works as well as ``python -m worker_orders --queue orders``.
    """
    args = list(argv)
    if args[:1] == ["serve"]:
        args = args[1:]
    app(args=args, prog_name="serve", obj=package)
