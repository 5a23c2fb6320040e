"""The uv workspace as the tests need it: members, their sources and what each one reads from env.

``env_names_read_by`` answers "which environment variables does this code look at?" from the code
itself, so the compose and Dockerfile checks never keep a second list that could drift:

* every field of each ``pydantic_settings.BaseSettings`` class in the packages, with its prefix,
  aliases and nested ``__`` paths (matched structurally by :func:`settings_accepts`);
* literal names passed to ``os.environ.get``/``os.environ[...]``/``os.getenv``, directly or
  through a module-level constant, and ``envvar=`` of typer/click options (found with ``ast``);
* the OpenTelemetry SDK's standard ``OTEL_*`` variables, which the SDK reads for us.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic_settings import BaseSettings

from tests.deploy.dockerfile import REPO


def members() -> dict[str, Path]:
    """Workspace members by distribution name, from the root ``[tool.uv.workspace]`` globs."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    found = {}
    for pattern in root["tool"]["uv"]["workspace"]["members"]:
        for directory in sorted(REPO.glob(pattern)):
            pyproject = directory / "pyproject.toml"
            if pyproject.is_file():
                found[tomllib.loads(pyproject.read_text())["project"]["name"]] = directory
    return found


def closure(package: str) -> set[str]:
    """``package`` and every workspace member it depends on, transitively."""
    all_members = members()
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        project = tomllib.loads((all_members[name] / "pyproject.toml").read_text())["project"]
        for requirement in project.get("dependencies", []):
            dependency = _requirement_name(requirement)
            if dependency in all_members:
                todo.append(dependency)
    return seen


def _requirement_name(requirement: str) -> str:
    name = requirement
    for stop in "<>=!~;[ (":
        name = name.split(stop, 1)[0]
    return name.strip().lower().replace("_", "-")


def import_name(package: str) -> str:
    """The top-level module of a member (``worker-orders`` -> ``worker_orders``)."""
    return package.replace("-", "_")


def source_files(packages: Iterable[str]) -> list[Path]:
    """Every Python file of the members' ``src/<import_name>/`` trees."""
    all_members = members()
    files = []
    for package in packages:
        files += sorted((all_members[package] / "src" / import_name(package)).rglob("*.py"))
    return files


class EnvReads:
    """What a set of packages reads from the environment; test names with :meth:`accepts`."""

    def __init__(self, packages: Iterable[str]) -> None:
        """Collect from the sources (and settings classes) of ``packages``."""
        self.packages = sorted(packages)
        self.literal: set[str] = set()
        self.settings: list[type[BaseSettings]] = []
        for path in source_files(self.packages):
            self.literal |= _names_read_in(path)
            self.settings += _settings_classes_in(path)
        self.literal |= _opentelemetry_names()

    def accepts(self, name: str) -> bool:
        """Whether setting ``name`` changes what this code does."""
        return name in self.literal or any(settings_accepts(s, name) for s in self.settings)


def settings_accepts(settings: type[BaseSettings], name: str) -> bool:
    """Whether ``name`` is a variable ``settings`` reads, nested ``__`` paths included."""
    config = settings.model_config
    prefix = str(config.get("env_prefix") or "")
    delimiter = config.get("env_nested_delimiter")
    upper = name.upper()
    for field_name, info in settings.model_fields.items():
        aliases = _aliases(info.validation_alias)
        names = [a.upper() for a in aliases] or [(prefix + field_name).upper()]
        for candidate in names:
            if upper == candidate:
                return True
            if delimiter and upper.startswith(candidate + delimiter.upper()):
                rest = upper[len(candidate) + len(delimiter) :].split(delimiter.upper())
                if _type_accepts(info.annotation, rest):
                    return True
    return False


def _aliases(alias: Any) -> list[str]:
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return []


def _type_accepts(annotation: Any, path: list[str]) -> bool:
    """Whether the nested key ``path`` (upper-case parts) exists in ``annotation``."""
    if not path:
        return True
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_accepts(arg, path) for arg in typing.get_args(annotation))
    if origin is dict:
        # Any key is allowed (e.g. a queue name); the rest must fit the value type.
        return _type_accepts(typing.get_args(annotation)[1], path[1:])
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        head, rest = path[0].lower(), path[1:]
        field = annotation.model_fields.get(head)
        return field is not None and _type_accepts(field.annotation, rest)
    return False


def _module_name(path: Path) -> str:
    src = next(parent for parent in path.parents if parent.name == "src")
    return ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")


def _settings_classes_in(path: Path) -> list[type[BaseSettings]]:
    source = path.read_text()
    if "BaseSettings" not in source:
        return []
    module = importlib.import_module(_module_name(path))
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, BaseSettings)
        and value is not BaseSettings
        and value.__module__ == module.__name__
    ]


_ENVIRON = {"os.environ", "environ"}


def _names_read_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def literal(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return constants.get(node.id)
        return None

    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = ast.unparse(node.func)
            if function in {"os.environ.get", "os.getenv", "environ.get", "getenv"} and node.args:
                names.add(literal(node.args[0]) or "")
            for keyword in node.keywords:
                if keyword.arg == "envvar":
                    values = (
                        keyword.value.elts
                        if isinstance(keyword.value, ast.List | ast.Tuple)
                        else [keyword.value]
                    )
                    names |= {literal(value) or "" for value in values}
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in _ENVIRON:
            names.add(literal(node.slice) or "")
    names.discard("")
    return names


def _opentelemetry_names() -> set[str]:
    from opentelemetry.sdk import environment_variables

    return {
        value
        for value in vars(environment_variables).values()
        if isinstance(value, str) and value.startswith("OTEL_")
    }
