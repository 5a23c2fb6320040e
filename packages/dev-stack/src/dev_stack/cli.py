"""``uv run dev``: the command line of the local stack.

Every port has an option so that tests (and a developer with 8000 taken) never depend on fixed
ports. Problems the user can fix print one line and exit 1; a clean Ctrl-C exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from temporal_core.cli.process_exit import exit_process

from dev_stack.config import LOOPBACK, WORKERS, StackConfig, StackError, find_workspace_root
from dev_stack.stack import Stack, health_port_option

__all__ = ["build_parser", "config_from_args", "main"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"ports go from 1 to 65535, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``dev`` (its ``--help`` is the option reference)."""
    parser = argparse.ArgumentParser(
        prog="dev",
        description=(
            "Run the whole system locally: the Temporal dev server, the orders, approvals and "
            "reports workers, the API and the codec server. Ctrl-C stops everything (workers "
            "drain first)."
        ),
    )
    temporal = parser.add_argument_group("Temporal")
    temporal.add_argument(
        "--temporal-port", type=_port, default=7233, help="dev server gRPC port (default 7233)"
    )
    temporal.add_argument(
        "--ui-port", type=_port, default=8233, help="dev server Web UI port (default 8233)"
    )
    temporal.add_argument("--no-ui", action="store_true", help="run the dev server headless")
    temporal.add_argument(
        "--persist",
        action="store_true",
        help="keep Temporal's state in <data-dir>/temporal.sqlite3 across runs",
    )
    temporal.add_argument(
        "--temporal-address",
        metavar="HOST:PORT",
        help="use this existing Temporal server instead of starting one",
    )
    temporal.add_argument("--namespace", default="default", help="Temporal namespace")

    services = parser.add_argument_group("services")
    services.add_argument("--api-host", default=LOOPBACK, help=f"API bind host ({LOOPBACK})")
    services.add_argument("--api-port", type=_port, default=8000, help="API port (default 8000)")
    for worker in WORKERS:
        services.add_argument(
            health_port_option(worker),
            type=_port,
            metavar="PORT",
            help=f"{worker} health port (default: a free port)",
        )
    services.add_argument(
        "--codec-port",
        type=_port,
        default=8089,
        help="codec server port, which decodes payloads for the Web UI and CLI (default 8089)",
    )
    services.add_argument(
        "--drain-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long workers may finish running activities when stopping",
    )
    services.add_argument(
        "--data-dir",
        type=Path,
        help="reports, side-effect log and --persist state (default: <repo>/.data)",
    )
    services.add_argument(
        "--ready-timeout",
        type=_seconds,
        default=90.0,
        metavar="SECONDS",
        help="give up when a part is not healthy after this long (default 90)",
    )

    observe = parser.add_argument_group("logs and traces")
    observe.add_argument("--log-format", choices=("text", "json"), help="services' log format")
    observe.add_argument("--log-level", help="services' log level, e.g. DEBUG")
    observe.add_argument(
        "--otlp-endpoint",
        metavar="URL",
        help="send traces over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318",
    )
    return parser


def config_from_args(args: argparse.Namespace, *, cwd: Path | None = None) -> StackConfig:
    """Turn parsed options into a :class:`StackConfig` rooted at the workspace of ``cwd``."""
    if args.temporal_address and args.persist:
        raise StackError(
            "--persist keeps the state of a dev server the stack starts; "
            "it cannot be combined with --temporal-address"
        )
    root = find_workspace_root((cwd or Path.cwd()).resolve())
    data_dir: Path | None = args.data_dir
    worker_ports: dict[str, int] = {}
    for worker in WORKERS:
        port: int | None = getattr(args, health_port_option(worker).lstrip("-").replace("-", "_"))
        if port is not None:
            worker_ports[worker] = port
    return StackConfig(
        root=root,
        data_dir=(data_dir or root / ".data").resolve(),
        data_dir_explicit=data_dir is not None,
        temporal_port=args.temporal_port,
        ui_port=None if args.no_ui else args.ui_port,
        temporal_address=args.temporal_address,
        namespace=args.namespace,
        persist=args.persist,
        api_host=args.api_host,
        api_port=args.api_port,
        worker_health_ports=worker_ports,
        codec_port=args.codec_port,
        otlp_endpoint=args.otlp_endpoint,
        log_format=args.log_format,
        log_level=args.log_level,
        drain_timeout=args.drain_timeout,
        ready_timeout=args.ready_timeout,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``dev`` console script; exits with the stack's status."""
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
        status = asyncio.run(Stack(config).run())
    except StackError as error:
        print(f"dev: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        # Ctrl-C before the signal handlers were in place: nothing was started yet.
        status = 130
    exit_process(status)
