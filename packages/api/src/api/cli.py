"""``serve`` for the API: run ``api.main:app`` under uvicorn.

Reached through the shared dispatcher (``uv run --package api serve``) or ``python -m api``.
Settings are checked before uvicorn starts, so a bad value exits with status 2 and a message
naming the variable instead of a traceback from a worker process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import typer
from temporal_core import SettingsError, TemporalSettings
from temporal_core.log_setup import configure_logging

__all__ = ["main"]

USAGE_ERROR = 2


class LogLevel(StrEnum):
    """Log levels ``--log-level`` accepts."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"
    CRITICAL = "CRITICAL"


class LogFormat(StrEnum):
    """Log formats ``--log-format`` accepts."""

    TEXT = "text"
    JSON = "json"


cli = typer.Typer(add_completion=False, help="Run the HTTP API.")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="API_HOST", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="API_PORT", min=1, max=65535, help="TCP port to listen on.")
    ] = 8000,
    workers: Annotated[
        int, typer.Option(envvar="API_WORKERS", min=1, max=64, help="Worker processes.")
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    log_level: Annotated[
        LogLevel, typer.Option(envvar="LOG_LEVEL", case_sensitive=False, help="Log level.")
    ] = LogLevel.INFO,
    log_format: Annotated[
        LogFormat, typer.Option(envvar="LOG_FORMAT", case_sensitive=False, help="Log format.")
    ] = LogFormat.TEXT,
) -> None:
    """Serve the API with uvicorn."""
    if reload and workers > 1:
        raise typer.BadParameter(
            "--reload runs a single process; drop --workers", param_hint="--workers"
        )
    from api.settings import ApiSettings

    try:
        TemporalSettings.load()
        ApiSettings.load()
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None

    # Worker processes (and the reloader's child) read these when the app starts.
    os.environ["LOG_LEVEL"] = log_level.value
    os.environ["LOG_FORMAT"] = log_format.value
    configure_logging(log_level.value, log_format.value)

    import uvicorn

    uvicorn.run(
        "api.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level=log_level.value.lower(),
        log_config=None,  # keep configure_logging's handler instead of uvicorn's own
        proxy_headers=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); exits like a CLI."""
    cli(args=list(argv) if argv is not None else None, prog_name="serve")
