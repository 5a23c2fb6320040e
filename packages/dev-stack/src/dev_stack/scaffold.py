"""``uv run new-worker NAME --queue QUEUE``: a new worker service, complete and passing its tests.

It writes the member ``packages/worker-NAME/`` shaped like its siblings (pyproject with the
``temporal_core.workers`` entry point, a sample workflow, activity, wiring and Dockerfile), the
workflow's contract, a test on the real dev server, and the one-line entries every other place
keeps (root ``pyproject.toml``, ``contracts.ALL``, the architecture and contract tests,
docker-compose.yml, the Kubernetes base and overlays); then ``uv lock`` and
``uv sync --all-packages``. ``uv run dev`` needs no edit: it finds workers by their entry points.

Everything is checked and rendered before the first file is written, so bad input (exit 2) or
a workspace the edits no longer fit (exit 1) leaves the tree as it was. The file templates are
in ``worker_template/``; those of the Dockerfile and the Kubernetes manifest are
worker-approvals' own files with the names replaced (a test keeps them equal).
"""

from __future__ import annotations

import argparse
import ast
import keyword
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from dev_stack.config import StackError, find_workspace_root

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_QUEUE_LENGTH",
    "InvalidInput",
    "Names",
    "WorkspaceMismatch",
    "check_input",
    "main",
    "plan",
    "render_template",
]

MAX_NAME_LENGTH = 18
"""Long enough for a service name; short enough that generated lines stay within 100 columns."""
MAX_QUEUE_LENGTH = 20

_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_QUEUE = re.compile(r"[a-z][a-z0-9_-]*")
_LINE_LENGTH = 100  # the workspace's ruff line-length


class InvalidInput(Exception):
    """NAME or QUEUE cannot be used; ``str()`` says what was wrong and what is allowed."""


class WorkspaceMismatch(Exception):
    """A file this command edits no longer has the shape it expects; nothing was written."""


@dataclass(frozen=True)
class Names:
    """Every spelling of the new service's name the generated files use."""

    name: str
    queue: str

    @property
    def package(self) -> str:
        """Distribution name: ``worker-bulk-mail``."""
        return f"worker-{self.name}"

    @property
    def snake(self) -> str:
        """``bulk_mail``: the contract module and part of the activity name."""
        return self.name.replace("-", "_")

    @property
    def module(self) -> str:
        """Import name: ``worker_bulk_mail``."""
        return f"worker_{self.snake}"

    @property
    def class_prefix(self) -> str:
        """``BulkMail``, as in ``BulkMailWorkflow``."""
        return "".join(part.capitalize() for part in self.name.split("-"))

    @property
    def constant(self) -> str:
        """The contract's constant: ``BULK_MAIL``."""
        return self.snake.upper()

    @property
    def workflow(self) -> str:
        """The workflow's class and Temporal name: ``BulkMailWorkflow``."""
        return f"{self.class_prefix}Workflow"

    def placeholders(self) -> dict[str, str]:
        """What each ``{{...}}`` in a template becomes."""
        return {
            "name": self.name,
            "queue": self.queue,
            "module": self.module,
            "snake": self.snake,
            "contract_module": self.snake,
            "Class": self.class_prefix,
            "CONST": self.constant,
        }


def render_template(template: str, names: Names) -> str:
    """The text of ``worker_template/<template>`` for ``names``."""
    text = files("dev_stack").joinpath("worker_template", template).read_text()
    for key, value in names.placeholders().items():
        text = text.replace("{{" + key + "}}", value)
    leftover = re.search(r"\{\{\w+\}\}", text)
    assert leftover is None, f"{template}: unknown placeholder {leftover.group()}"
    return text


# --- checking the input --------------------------------------------------------------------------


def check_input(root: Path, name: str, queue: str) -> Names:
    """``Names`` for NAME and QUEUE, or :class:`InvalidInput` saying why they cannot be used."""
    if name.startswith("worker-"):
        raise InvalidInput(
            f"NAME {name!r} starts with 'worker-': give the name without it "
            f"(`new-worker {name.removeprefix('worker-')}` creates packages/{name}/)"
        )
    if len(name) > MAX_NAME_LENGTH or _NAME.fullmatch(name) is None:
        raise InvalidInput(
            f"NAME {name!r} is not allowed: use at most {MAX_NAME_LENGTH} lowercase letters, "
            "digits and single hyphens, starting with a letter and not ending with a hyphen "
            "(for example: shipping, bulk-mail)"
        )
    if len(queue) > MAX_QUEUE_LENGTH or _QUEUE.fullmatch(queue) is None:
        raise InvalidInput(
            f"QUEUE {queue!r} is not allowed: use at most {MAX_QUEUE_LENGTH} lowercase letters, "
            "digits, hyphens and underscores, starting with a letter (for example: shipping)"
        )
    names = Names(name=name, queue=queue)
    if keyword.iskeyword(names.snake):
        raise InvalidInput(
            f"NAME {name!r} is a Python keyword, which cannot name the contract module "
            f"contracts.{names.snake}: choose another name"
        )
    members = _members(root)
    if names.package in members or (root / "packages" / names.package).exists():
        raise InvalidInput(
            f"NAME {name!r} clashes: the workspace already has packages/{names.package}/; "
            f"choose a name no member uses (members: {', '.join(sorted(members))})"
        )
    for member, queues in sorted(_served_queues(members).items()):
        if queue in queues:
            raise InvalidInput(
                f"QUEUE {queue!r} is served by {member} already: choose another queue, or add "
                "the workflow to that package (README: 'Adding a workflow, a queue, a worker "
                "service')"
            )
    contracts = root / "packages" / "contracts" / "src" / "contracts"
    if (contracts / f"{names.snake}.py").exists():
        raise InvalidInput(
            f"NAME {name!r} clashes with the existing module contracts.{names.snake}: "
            "choose another name"
        )
    taken = _contract_identifiers(contracts)
    for wanted in (names.constant, names.workflow):
        if wanted in taken:
            raise InvalidInput(
                f"NAME {name!r} would define {wanted}, which the contracts package already "
                "uses: choose another name"
            )
    existing = [path for path in _new_files(root, names) if path.exists()]
    if existing:
        raise InvalidInput(
            "refusing to overwrite what exists: "
            + ", ".join(str(path.relative_to(root)) for path in existing)
        )
    return names


def _members(root: Path) -> dict[str, Path]:
    """Workspace members by distribution name (every ``packages/*/pyproject.toml``)."""
    found: dict[str, Path] = {}
    for pyproject in sorted(root.glob("packages/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        found[str(project.get("name", pyproject.parent.name))] = pyproject
    return found


def _served_queues(members: dict[str, Path]) -> dict[str, set[str]]:
    """The queues each member announces through its ``temporal_core.workers`` entry points."""
    served: dict[str, set[str]] = {}
    for member, pyproject in members.items():
        project = tomllib.loads(pyproject.read_text()).get("project", {})
        entry_points = project.get("entry-points", {}).get("temporal_core.workers", {})
        served[member] = set(entry_points)
    return served


def _contract_identifiers(contracts: Path) -> set[str]:
    """Names the contracts package defines, and the Temporal workflow names it declares."""
    taken: set[str] = set()
    for path in contracts.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Name | ast.alias):
                taken.add(node.id if isinstance(node, ast.Name) else node.asname or node.name)
            elif isinstance(node, ast.ClassDef):
                taken.add(node.name)
            elif (
                isinstance(node, ast.keyword)
                and node.arg == "name"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                taken.add(node.value.value)
    return taken


# --- what gets written ---------------------------------------------------------------------------

_SOURCE_TEMPLATES = (
    "__init__.py",
    "__main__.py",
    "models.py",
    "activities.py",
    "wiring.py",
    "workflows.py",
    "registration.py",
)


def _new_files(root: Path, names: Names) -> dict[Path, str]:
    """Each file this command creates, with the template it comes from ("" for an empty one)."""
    member = root / "packages" / names.package
    source = member / "src" / names.module
    created = {
        member / "pyproject.toml": "pyproject.toml.tmpl",
        member / "Dockerfile": "Dockerfile.tmpl",
        source / "py.typed": "",
        root / "packages" / "contracts" / "src" / "contracts" / f"{names.snake}.py": (
            "contract.py.tmpl"
        ),
        root / "tests" / "workers" / f"test_{names.snake}_workflow.py": "test_workflow.py.tmpl",
        # One folder per worker, so a versioned release can add a Deployment per build of it.
        root / "deploy" / "k8s" / "base" / names.package / f"{names.package}.yaml": (
            "k8s.yaml.tmpl"
        ),
        root / "deploy" / "k8s" / "base" / names.package / "kustomization.yaml": (
            "k8s-kustomization.yaml.tmpl"
        ),
    }
    created.update({source / module: f"{module}.tmpl" for module in _SOURCE_TEMPLATES})
    return created


def plan(root: Path, names: Names) -> dict[Path, str]:
    """Every file to create or rewrite, with its full new text; nothing is written here."""
    changes = {
        path: render_template(template, names) if template else ""
        for path, template in _new_files(root, names).items()
    }
    edits: dict[Path, Callable[[str, Names], str]] = {
        root / "pyproject.toml": _edit_root_pyproject,
        root / "packages" / "contracts" / "src" / "contracts" / "__init__.py": _edit_contracts,
        root / "tests" / "test_architecture.py": _edit_architecture_test,
        root / "tests" / "workers" / "test_contracts.py": _edit_contracts_test,
        root / "docker-compose.yml": _edit_compose,
        root / "deploy" / "k8s" / "base" / "kustomization.yaml": _edit_kustomization,
    }
    for overlay in sorted((root / "deploy" / "k8s" / "overlays").glob("*/kustomization.yaml")):
        edits[overlay] = _edit_overlay
    for path, edit in edits.items():
        if not path.is_file():
            raise WorkspaceMismatch(f"{path.relative_to(root)} is missing")
        try:
            changes[path] = edit(path.read_text(), names)
        except WorkspaceMismatch as error:
            raise WorkspaceMismatch(f"{path.relative_to(root)}: {error}") from None
    return changes


def _insert_after_last(text: str, pattern: str, addition: str) -> str:
    matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
    if not matches:
        raise WorkspaceMismatch(f"no line matches {pattern!r} to add the new entry after")
    end = matches[-1].end()
    return text[:end] + addition + text[end:]


def _natural(text: str) -> list[str | int]:
    """Sort key that orders ``a2`` before ``a10``, as ruff's import sorting does."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text.lower())]


def _insert_sorted(text: str, pattern: str, line: str, key: str) -> str:
    """Put ``line`` among the lines matching ``pattern`` (group 1 is their sort key)."""
    matches = list(re.finditer(pattern, text, flags=re.MULTILINE))
    if not matches:
        raise WorkspaceMismatch(f"no line matches {pattern!r} to add {line.strip()!r} next to")
    after = [m for m in matches if _natural(m.group(1)) > _natural(key)]
    at = after[0].start() if after else matches[-1].end()
    return text[:at] + line + text[at:]


def _sequence(head: str, items: Sequence[str], tail: str) -> str:
    """``head`` items ``tail`` on one line if it fits, else one item a line (ruff's layout)."""
    one_line = head + ", ".join(items) + tail
    if len(one_line) <= _LINE_LENGTH:
        return one_line + "\n"
    return head + "\n" + "".join(f"    {item},\n" for item in items) + tail + "\n"


def _export_order(name: str) -> tuple[int, list[str | int]]:
    """Ruff's ``__all__`` order (RUF022): CONSTANTS, then Classes, then the rest."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, _natural(name)


def _edit_root_pyproject(text: str, names: Names) -> str:
    text = _insert_after_last(
        text,
        r"^worker-[a-z0-9-]+ = \{ workspace = true \}\n",
        f"{names.package} = {{ workspace = true }}\n",
    )
    return _insert_after_last(text, r'^    "worker-[a-z0-9-]+",\n', f'    "{names.package}",\n')


def _edit_contracts(text: str, names: Names) -> str:
    text = _insert_sorted(
        text,
        r"^from contracts\.(\w+) import \w+\n",
        f"from contracts.{names.snake} import {names.constant}\n",
        names.snake,
    )
    exported = re.search(r"^__all__ = \[(.*?)\]\n", text, flags=re.MULTILINE | re.DOTALL)
    if exported is None:
        raise WorkspaceMismatch("no `__all__ = [...]` list")
    items = [*ast.literal_eval(f"[{exported.group(1)}]"), names.constant]
    quoted = [f'"{item}"' for item in sorted(items, key=_export_order)]
    text = text[: exported.start()] + _sequence("__all__ = [", quoted, "]") + text[exported.end() :]
    every = re.search(r"^ALL = \((.*?)\)\n", text, flags=re.MULTILINE | re.DOTALL)
    if every is None:
        raise WorkspaceMismatch("no `ALL = (...)` tuple")
    contracts = [item.strip() for item in every.group(1).split(",") if item.strip()]
    contracts.append(names.constant)
    return text[: every.start()] + _sequence("ALL = (", contracts, ")") + text[every.end() :]


def _edit_architecture_test(text: str, names: Names) -> str:
    text = _insert_after_last(text, r'^    "worker_\w+",\n', f'    "{names.module}",\n')
    return _insert_after_last(
        text,
        r'^    "worker_\w+": \{.*\},\n',
        f'    "{names.module}": {{"temporal_core", "contracts", "stand_ins"}},\n',
    )


def _edit_contracts_test(text: str, names: Names) -> str:
    imported = re.search(r"^from contracts import (\([^)]*\)|[^\n]*)\n", text, flags=re.MULTILINE)
    if imported is None:
        raise WorkspaceMismatch("no `from contracts import ...` line")
    found = [item.strip() for item in imported.group(1).strip("()").split(",") if item.strip()]
    constants = sorted([*found, names.constant], key=_export_order)
    replacement = _sequence("from contracts import ", constants, "")
    if replacement.count("\n") > 1:  # too long for one line: parenthesised, one name a line
        replacement = _sequence("from contracts import (", constants, ")")
    text = text[: imported.start()] + replacement + text[imported.end() :]
    text = _insert_sorted(
        text,
        r"^from (worker_\w+)\.workflows import \w+\n",
        f"from {names.module}.workflows import {names.workflow}\n",
        names.module,
    )
    return _insert_after_last(
        text, r"^    [A-Z_]+\.name: \w+,\n", f"    {names.constant}.name: {names.workflow},\n"
    )


def _edit_compose(text: str, names: Names) -> str:
    services = re.search(r"^services:\n", text, flags=re.MULTILINE)
    if services is None:
        raise WorkspaceMismatch("no top-level `services:`")
    after = re.compile(r"^\S", flags=re.MULTILINE).search(text, services.end())
    at = after.start() if after else len(text)
    block = (
        f"  {names.package}:\n"
        "    <<: *worker\n"
        "    build:\n"
        "      context: .\n"
        f"      dockerfile: packages/{names.package}/Dockerfile\n"
        f"    image: temporal-fastapi/{names.package}:${{IMAGE_TAG:-local}}\n"
        "    environment:\n"
        "      <<: *worker-environment\n"
        f"      OTEL_SERVICE_NAME: {names.package}\n"
    )
    if after is None:
        return text.rstrip("\n") + "\n\n" + block
    return text[:at] + block + "\n" + text[at:]


def _edit_kustomization(text: str, names: Names) -> str:
    line = f"  - {names.package}\n"
    return _insert_after_last(text, r"^  - worker-[a-z0-9-]+\n", line)


def _edit_overlay(text: str, names: Names) -> str:
    images = list(
        re.finditer(
            r"^  - name: temporal-fastapi/worker-[a-z0-9-]+\n    newTag: (.+)\n",
            text,
            flags=re.MULTILINE,
        )
    )
    if not images:
        return text  # an overlay that tags no worker image needs no entry for this one either
    last = images[-1]
    entry = f"  - name: temporal-fastapi/{names.package}\n    newTag: {last.group(1)}\n"
    return text[: last.end()] + entry + text[last.end() :]


# --- the command ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``new-worker`` (its ``--help`` is the reference)."""
    parser = argparse.ArgumentParser(
        prog="new-worker",
        description=(
            "Create packages/worker-NAME/, a worker service for task queue QUEUE with a sample "
            "workflow and activity, wire it into the workspace, compose and Kubernetes, and "
            "sync the venv. Its tests pass at once; `uv run dev` runs it with the others."
        ),
    )
    parser.add_argument("name", metavar="NAME", help="service name, e.g. shipping")
    parser.add_argument("--queue", required=True, help="the task queue it serves, e.g. shipping")
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="skip `uv lock` and `uv sync --all-packages` (run them yourself before using it)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``uv run new-worker``: exit 0 done, 1 workspace or uv problem, 2 bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        root = find_workspace_root(Path.cwd())
        names = check_input(root, args.name, args.queue)
        changes = plan(root, names)
    except InvalidInput as error:
        parser.exit(2, f"new-worker: error: {error}\n")
    except (StackError, WorkspaceMismatch) as error:
        parser.exit(1, f"new-worker: {error}; nothing was written\n")
    for path, text in changes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(root)}")
    if not args.no_sync:
        _sync(root)
    print(_next_steps(names))


def _sync(root: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("new-worker: `uv` is not on PATH; run `uv lock && uv sync --all-packages`")
    for command in ([uv, "lock"], [uv, "sync", "--all-packages"]):
        print("$", " ".join(["uv", *command[1:]]), flush=True)
        if subprocess.run(command, cwd=root, check=False).returncode != 0:
            sys.exit(f"new-worker: `{' '.join(['uv', *command[1:]])}` failed (files are written)")


def _next_steps(names: Names) -> str:
    return f"""
{names.package} serves queue {names.queue!r}. Next:
  - packages/contracts/src/contracts/{names.snake}.py: the workflow's real input, result and state
  - packages/{names.package}/src/{names.module}/: workflows.py, activities.py (with timeouts that
    fit the work), models.py, and the collaborators wiring.py builds
  - tests/workers/test_{names.snake}_workflow.py: the workflow's real paths
  - tests/histories/record.py: its scenarios, then `uv run python -m tests.histories.record`
  - docs/workers.md (the packages table) and docs/deploying.md (the images table)
Check: uv run pytest -q -p no:cacheprovider tests/workers/test_{names.snake}_workflow.py
Run:   uv run --package {names.package} serve   (or `uv run dev` for everything)"""
