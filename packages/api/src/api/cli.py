"""``serve`` for the API: run ``api.main:app`` under uvicorn.

Reached through the shared dispatcher (``uv run --package api serve``) or ``python -m api``.
Settings are checked before uvicorn starts, so a bad value exits with status 2 and a message
naming the variable instead of a traceback from a worker process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Sequence
from types import FrameType
from typing import Annotated, Any

import typer
from temporal_core import SettingsError, TemporalSettings
from temporal_core.cli.process_exit import exit_process
from temporal_core.client.codec_settings import CodecSettings
from temporal_core.observability.log_setup import LogFormatOption, LogLevelOption, configure_logging

__all__ = ["main"]

USAGE_ERROR = 2
_UVICORN_STARTUP_FAILURE = 3
"""What ``uvicorn.run`` exits with when the server never started (a taken port, say)."""
_APP = "api.main:app"


# Plain (not rich) help and errors, like the workers': they end up in container logs.
cli = typer.Typer(
    add_completion=False,
    help="Run the HTTP API.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(envvar="API_HOST", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(envvar="API_PORT", min=1, max=65535, help="TCP port to listen on.")
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            envvar="API_WORKERS",
            min=1,
            max=64,
            help="uvicorn worker processes on the one port; one process serves about one "
            "core's worth of requests, so use up to one per core.",
        ),
    ] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    log_level: Annotated[
        LogLevelOption, typer.Option(envvar="LOG_LEVEL", case_sensitive=False, help="Log level.")
    ] = LogLevelOption.INFO,
    log_format: Annotated[
        LogFormatOption, typer.Option(envvar="LOG_FORMAT", case_sensitive=False, help="Log format.")
    ] = LogFormatOption.TEXT,
) -> None:
    """Serve the API with uvicorn."""
    if reload and workers > 1:
        raise typer.BadParameter(
            "--reload runs a single process; drop --workers", param_hint="--workers"
        )
    from api.metrics import MULTIPROC_DIR_ENV
    from api.settings import ApiSettings

    try:
        TemporalSettings.load()
        CodecSettings.load().payload_codec()
        # Reading the key set too: a bad API_AUTH_KEYS is a usage error named here, not a
        # traceback from inside uvicorn's startup.
        ApiSettings.load().token_verifier()
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None

    if workers > 1 and not os.environ.get(MULTIPROC_DIR_ENV):
        # Several processes answer /metrics in turn; in prometheus-client's multiprocess mode each
        # writes its figures to files here, and a scrape of any one of them returns the sum. A
        # fresh directory per run, so no figures of an earlier run are added in.
        os.environ[MULTIPROC_DIR_ENV] = tempfile.mkdtemp(prefix="api-metrics-")
    # Worker processes (and the reloader's child) read these when the app starts.
    os.environ["LOG_LEVEL"] = log_level.value
    os.environ["LOG_FORMAT"] = log_format.value
    configure_logging(log_level.value, log_format.value)

    import uvicorn

    from api.graceful_uvicorn import GracefulServer

    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "reload": reload,
        "log_level": log_level.value.lower(),
        "log_config": None,  # keep configure_logging's handler instead of uvicorn's own
        "proxy_headers": True,
    }
    # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the same signal again, so
    # with the default handlers a clean stop would end as "killed by SIGTERM" (143). With these
    # handlers the repeated signal ends the run with status 0, as the worker services do.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_requested)
    with contextlib.suppress(_Stopped):
        if workers == 1 and not reload:
            # One process, the usual case: our server, so an echoed Ctrl-C does not force-quit.
            server = GracefulServer(uvicorn.Config(_APP, **options))
            server.run()
            if not server.started:
                exit_process(_UVICORN_STARTUP_FAILURE)
        else:
            # uvicorn's supervisors build their own servers in the child processes.
            uvicorn.run(_APP, **options)
    exit_process(0)


class _Stopped(Exception):
    """Raised by the signal handler uvicorn hands a stop signal back to after shutting down."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); exits like a CLI."""
    cli(args=list(argv) if argv is not None else None, prog_name="serve")
