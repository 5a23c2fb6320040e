"""``codec-server``: ``serve`` the codec endpoints, or make a ``new-key`` or a ``new-token``.

``uv run --package codec-server serve`` reaches :func:`serve_main` through the shared ``serve``
dispatcher (and the image's ``SERVE_PACKAGE=codec-server``); ``uv run --package codec-server
codec-server new-key`` prints a key entry for ``CODEC_KEYS`` / ``CODEC_KEYS_FILE``.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
from collections.abc import Sequence
from types import FrameType
from typing import Annotated

import typer
from temporal_core.cli.process_exit import exit_process
from temporal_core.client.codec_settings import CodecSettings
from temporal_core.client.key_ring import KeyRingError, new_key_entry
from temporal_core.client.settings import SettingsError
from temporal_core.observability.log_setup import LogFormatOption, LogLevelOption, configure_logging
from temporal_core.observability.tracing import configure_telemetry

from codec_server.settings import CodecServerSettings

__all__ = ["main", "serve_main"]

logger = logging.getLogger("codec_server")

USAGE_ERROR = 2
_TOKEN_BYTES = 32

cli = typer.Typer(
    add_completion=False,
    help="Temporal remote codec server and its key tools.",
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@cli.command()
def serve(
    log_level: Annotated[
        LogLevelOption, typer.Option(envvar="LOG_LEVEL", case_sensitive=False, help="Log level.")
    ] = LogLevelOption.INFO,
    log_format: Annotated[
        LogFormatOption, typer.Option(envvar="LOG_FORMAT", case_sensitive=False, help="Log format.")
    ] = LogFormatOption.TEXT,
) -> None:
    """Serve POST /encode and /decode on CODEC_SERVER_HOST:CODEC_SERVER_PORT."""
    configure_logging(log_level.value, log_format.value)
    try:
        codec_settings = CodecSettings.load()
        if not codec_settings.enabled:
            raise SettingsError(
                "CODEC_ENABLED is false: with encryption off there is nothing to decode"
            )
        codec = codec_settings.payload_codec()
        settings = CodecServerSettings.load()
    except SettingsError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None
    if codec is None:  # not reached: enabled, so payload_codec() returned a codec or raised
        raise typer.Exit(USAGE_ERROR)

    import uvicorn

    from codec_server.app import create_app

    configure_telemetry("codec-server")
    logger.info(
        "codec server for %s: encrypting with key %s, decrypting with %d key(s); CORS for %s",
        f"http://{settings.host}:{settings.port}",
        codec.key_ring.current_id,
        len(codec.key_ring.keys),
        ", ".join(settings.cors_origins) or "no origin",
    )

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(codec, settings),
            host=settings.host,
            port=settings.port,
            log_config=None,  # configure_logging's handler (with e-mail masking) stays
            access_log=False,  # the Web UI's requests carry the token in the path
        )
    )
    # uvicorn stops gracefully on SIGTERM/SIGINT and then raises the same signal again; with the
    # default handlers a clean `docker stop` would end as "killed by SIGTERM" (143), so the
    # repeated signal is turned into a normal return (api.cli does the same for the API).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop_requested)
    with contextlib.suppress(_Stopped):
        server.run()
    exit_process(0 if server.started else 1)


class _Stopped(Exception):
    """Raised by the handler uvicorn hands the stop signal back to after shutting down."""


def _stop_requested(signum: int, frame: FrameType | None) -> None:
    raise _Stopped(signum)


@cli.command("new-key")
def new_key(
    key_id: Annotated[
        str, typer.Option("--id", help="The key's id, stored in every payload it encrypts.")
    ] = "k1",
) -> None:
    """Print a new random AES-256 key as `id:base64key` (for CODEC_KEYS or CODEC_KEYS_FILE)."""
    try:
        typer.echo(new_key_entry(key_id))
    except KeyRingError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(USAGE_ERROR) from None


@cli.command("new-token")
def new_token() -> None:
    """Print a new random token for CODEC_SERVER_TOKEN / CODEC_SERVER_TOKEN_FILE."""
    typer.echo(secrets.token_urlsafe(_TOKEN_BYTES))


def main(argv: Sequence[str] | None = None) -> None:
    """``codec-server <command>``: exits like a CLI."""
    cli(args=list(argv) if argv is not None else None, prog_name="codec-server")


def serve_main(argv: Sequence[str]) -> None:
    """The ``temporal_core.services`` entry: ``serve`` runs :func:`serve` with ``argv``."""
    args = list(argv)
    if args[:1] == ["serve"]:
        args = args[1:]
    cli(args=["serve", *args], prog_name="serve")
