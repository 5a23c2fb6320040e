"""The one ``serve`` console script every deployable package installs.

uv installs all workspace members into one venv, where members' same-named console scripts
overwrite each other (astral-sh/uv issue 12891): ``.venv/bin/serve`` is whichever member was
installed last. So every member points ``serve`` at this same function, and this function works
out which package the developer asked for, in this order:

1. ``SERVE_PACKAGE`` in the environment (what the Docker images set);
2. ``--package NAME`` on the ``uv run`` command that launched us (read from the parent process,
   which is uv itself: ``uv run --package worker-orders serve``);
3. the project whose directory we were started in (``cd packages/worker-orders && uv run serve``).

A package that registers a ``temporal_core.services`` entry point (the API) gets its own command;
a worker package gets the worker runner limited to its queues; no package serves every installed
worker queue, as ``serve`` did before workspaces.
"""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

__all__ = ["SERVICES_ENTRY_POINT_GROUP", "main", "requested_package"]

SERVICES_ENTRY_POINT_GROUP = "temporal_core.services"
PACKAGE_ENV = "SERVE_PACKAGE"


def _normalise(name: str) -> str:
    return name.strip().replace("_", "-").lower()


def package_from_uv_argv(argv: Sequence[str]) -> str | None:
    """The ``--package`` value of a ``uv run`` command line, if it is one."""
    if len(argv) < 2 or Path(argv[0]).name not in {"uv", "uv.exe"} or "run" not in argv[1:]:
        return None
    for index, arg in enumerate(argv):
        if arg == "--package" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--package="):
            return arg.split("=", 1)[1]
        if arg == "--":
            break
    return None


def _parent_argv() -> list[str]:
    # Linux exposes the parent's command line in /proc; elsewhere fall back to the next rules.
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _project_in(directory: Path) -> str | None:
    for folder in (directory, *directory.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                data: dict[str, Any] = tomllib.loads(pyproject.read_text())
            except (OSError, tomllib.TOMLDecodeError):
                return None
            project: dict[str, Any] = data.get("project") or {}
            name = project.get("name")
            return name if isinstance(name, str) else None
    return None


def requested_package() -> str | None:
    """Which package's ``serve`` the user meant, or None when nothing says."""
    explicit = os.environ.get(PACKAGE_ENV)
    if explicit:
        return _normalise(explicit)
    from_uv = package_from_uv_argv(_parent_argv())
    if from_uv:
        return _normalise(from_uv)
    from_cwd = _project_in(Path.cwd())
    return _normalise(from_cwd) if from_cwd else None


def _service_command(package: str) -> Callable[..., Any] | None:
    for point in entry_points(group=SERVICES_ENTRY_POINT_GROUP):
        owner = point.dist.name if point.dist is not None else point.name
        if _normalise(owner) == package or _normalise(point.name) == package:
            command: Callable[..., Any] = point.load()
            return command
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``serve`` command of the requested package (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
    package = requested_package()
    command = _service_command(package) if package else None
    if command is not None:
        command(args)
        return
    from temporal_core.worker.serve import main as worker_main

    worker_main(args, package=package)
