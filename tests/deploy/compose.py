"""Reading docker-compose.yml and .env.example the way ``docker compose`` does, for the tests.

Variable substitution follows the Compose specification's rules for the forms the file uses:
``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``, ``${VAR?error}`` and
``$$`` for a literal dollar sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.dockerfile import REPO, Dockerfile

COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"

_REFERENCE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
)


@dataclass(frozen=True)
class Reference:
    """One ``${...}`` in the compose file."""

    name: str
    has_default: bool
    required: bool


def load(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    """The compose file as YAML data, before substitution (anchors and merge keys resolved)."""
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def references(path: Path = COMPOSE_FILE) -> list[Reference]:
    """Every variable the file substitutes."""
    found = []
    for match in _REFERENCE.finditer(path.read_text()):
        if match.group("name"):
            op = match.group("op") or ""
            found.append(Reference(match.group("name"), op.lstrip(":") == "-", "?" in op))
    return found


def read_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """``KEY=value`` lines of an env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def filled_in_env_file(path: Path = ENV_EXAMPLE) -> dict[str, str]:
    """The env file after a user filled in what it leaves empty (each required secret)."""
    values = read_env_file(path)
    required = {ref.name for ref in references() if ref.required}
    return {
        key: (f"filled-in-{key.lower()}" if key in required and not value else value)
        for key, value in values.items()
    }


def interpolate(data: Any, variables: dict[str, str]) -> Any:
    """``data`` with every string substituted as compose would, given ``variables``."""
    if isinstance(data, dict):
        return {key: interpolate(value, variables) for key, value in data.items()}
    if isinstance(data, list):
        return [interpolate(item, variables) for item in data]
    if isinstance(data, str):
        return _REFERENCE.sub(lambda match: _substitute(match, variables), data)
    return data


def _substitute(match: re.Match[str], variables: dict[str, str]) -> str:
    if match.group(0) == "$$":
        return "$"
    name, op, arg = match.group("name"), match.group("op") or "", match.group("arg")
    value = variables.get(name)
    missing = value is None or (op.startswith(":") and value == "")
    if op.endswith("?") and missing:
        raise KeyError(f"{name} is required: {arg}")
    if op.endswith("-") and missing:
        return arg
    if op.endswith("+"):
        return "" if missing else arg
    return value or ""


def our_services(data: dict[str, Any]) -> dict[str, Dockerfile]:
    """Services built from this repository's Dockerfiles, with the Dockerfile each one uses."""
    built = {}
    for name, service in data["services"].items():
        build = service.get("build")
        if build is not None:
            context = REPO / build.get("context", ".")
            built[name] = Dockerfile.parse(context / build.get("dockerfile", "Dockerfile"))
    return built


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` in either of its forms (mapping or ``KEY=value`` list)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        return dict(str(item).partition("=")[::2] for item in raw)
    return {str(key): "" if value is None else str(value) for key, value in raw.items()}


def healthcheck_command(service: dict[str, Any]) -> list[str] | None:
    """The ``healthcheck.test`` command as words, without its ``CMD``/``CMD-SHELL`` marker."""
    test = (service.get("healthcheck") or {}).get("test")
    if test is None:
        return None
    if isinstance(test, str):
        return ["/bin/sh", "-c", test]
    kind, *words = test
    return ["/bin/sh", "-c", " ".join(words)] if kind == "CMD-SHELL" else words
