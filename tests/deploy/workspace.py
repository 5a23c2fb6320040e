"""The uv workspace as the tests need it: members, their sources and what each one reads from env.

:func:`members` and :func:`closure` read the workspace the way uv does (the root's member globs,
the lock's dependencies), so the Dockerfile checks never keep a list of members that could drift;
:func:`copy_with_new_member` grows a copy of the workspace by one member, to show that adding one
needs no edit elsewhere.

:class:`EnvReads` answers "which environment variables does this code look at?" from the code
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
import shutil
import subprocess
import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic_settings import BaseSettings
from temporal_core.client.settings import TemporalSettings
from temporal_core.client.standard_variables import STANDARD_ALIASES

from tests.deploy.dockerfile import REPO


def members(root: Path = REPO) -> dict[str, Path]:
    """Workspace members by distribution name, from the root ``[tool.uv.workspace]`` globs."""
    workspace = tomllib.loads((root / "pyproject.toml").read_text())
    found = {}
    for pattern in workspace["tool"]["uv"]["workspace"]["members"]:
        for directory in sorted(root.glob(pattern)):
            pyproject = directory / "pyproject.toml"
            if pyproject.is_file():
                found[tomllib.loads(pyproject.read_text())["project"]["name"]] = directory
    return found


def closure(package: str, root: Path = REPO) -> set[str]:
    """``package`` and every workspace member it depends on, transitively, as ``uv.lock`` says.

    The lock rather than the pyproject files, because the images install from the lock
    (``uv sync --locked`` fails if the two disagree).
    """
    locked = {
        entry["name"]: entry
        for entry in tomllib.loads((root / "uv.lock").read_text())["package"]
        if {"editable", "virtual"} & entry.get("source", {}).keys()
    }
    assert package in locked, f"{package} is not a workspace member in uv.lock"
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += [d["name"] for d in locked[name].get("dependencies", []) if d["name"] in locked]
    return seen


def is_worker(package: str, root: Path = REPO) -> bool:
    """Whether ``package`` registers task queues (a ``temporal_core.workers`` entry point)."""
    project = tomllib.loads((members(root)[package] / "pyproject.toml").read_text())["project"]
    return "temporal_core.workers" in project.get("entry-points", {})


def api_installs_a_worker(root: Path = REPO) -> bool:
    """Whether the API's closure in ``uv.lock`` still holds a worker package."""
    return any(is_worker(member, root) for member in closure("api", root))


# The member a developer adds in the grown workspace (conftest's `grown_workspace`): a library on
# top of temporal-core that no deployable uses yet, as a new shared package would start out.
NEW_MEMBER = "notifications"


def copy_with_new_member(destination: Path, name: str, *, depends_on: str) -> Path:
    """A copy of the workspace in ``destination`` with one more member, ``packages/<name>``.

    The copy holds the files git knows (tracked or not ignored), as a fresh clone plus local
    edits would. The new member is a library depending on the member ``depends_on``, added the
    way the README says (root ``[tool.uv.sources]`` and dev group); the lock is not updated.
    """
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for relative in listed:
        if (REPO / relative).is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, destination / relative)
    module = destination / "packages" / name / "src" / import_name(name)
    module.mkdir(parents=True)
    (module / "__init__.py").write_text(f'"""The {name} library."""\n')
    (module.parents[1] / "pyproject.toml").write_text(
        f"[project]\n"
        f'name = "{name}"\n'
        f'version = "0.1.0"\n'
        f'requires-python = ">=3.11"\n'
        f'dependencies = ["{depends_on}"]\n\n'
        f"[tool.uv.sources]\n"
        f"{depends_on} = {{ workspace = true }}\n\n"
        f"[build-system]\n"
        f'requires = ["uv_build>=0.9.0,<0.14"]\n'
        f'build-backend = "uv_build"\n'
    )
    root = destination / "pyproject.toml"
    text = root.read_text()
    for anchor, line in (
        ("[tool.uv.sources]\n", f"{name} = {{ workspace = true }}\n"),
        ("dev = [\n", f'    "{name}",\n'),
    ):
        assert text.count(anchor) == 1, f"the root pyproject.toml has no single {anchor!r}"
        text = text.replace(anchor, anchor + line)
    root.write_text(text)
    assert name in members(destination)
    return destination


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
        if issubclass(settings, TemporalSettings):
            # Temporal's standard spellings, read by a settings source rather than an alias.
            names += [name for name, field in STANDARD_ALIASES.items() if field == field_name]
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
