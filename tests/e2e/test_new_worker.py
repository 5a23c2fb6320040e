"""``uv run new-worker shipping --queue shipping`` in a copy of the workspace: ready at once.

The copy holds the files git knows (as a clone plus local edits would), gets its own venv inside
the temporary directory (uv's cache makes that sync fast), runs the command, and then every check
a developer would run must pass without touching a file: ruff, pyright, the new worker's test on
the real dev server, the contract, architecture and deployment tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _copy_workspace(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for relative in listed:
        if (ROOT / relative).is_file():
            (destination / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, destination / relative)
    # The deploy tests list the workspace's files with git, as here.
    subprocess.run(["git", "init", "-q"], cwd=destination, check=True)


def test_a_new_worker_passes_every_check_right_after_the_command(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    _copy_workspace(workspace)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTEST_ADDOPTS"}}
    env |= {"UV_PYTHON_DOWNLOADS": "never", "UV_PROJECT_ENVIRONMENT": str(workspace / ".venv")}

    def run(*command: str) -> str:
        done = subprocess.run(
            command, cwd=workspace, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    run("uv", "sync", "--all-packages", "--quiet")
    created = run("uv", "run", "new-worker", "shipping", "--queue", "shipping")
    assert "worker-shipping serves queue 'shipping'" in created
    assert (workspace / ".venv").is_dir()

    run("uv", "run", "ruff", "check", ".")
    run("uv", "run", "ruff", "format", "--check", ".")
    run("uv", "run", "pyright", "packages/")
    run(
        "uv", "run", "pytest", "-q", "-p", "no:cacheprovider",
        "tests/workers/test_shipping_workflow.py",
        "tests/workers/test_contracts.py",
        "tests/test_architecture.py",
        "tests/deploy/test_wiring.py",
        "tests/deploy/test_kubernetes.py",
    )  # fmt: skip
    # The stack and `serve` find it by its entry point: no edit of dev_stack was needed.
    served = run(
        "uv", "run", "python", "-c", "from dev_stack.config import WORKERS; print(WORKERS)"
    )
    assert "worker-shipping" in served
