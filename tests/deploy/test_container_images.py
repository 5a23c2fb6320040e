"""The four images, built from their real Dockerfiles and run as containers (marker ``images``).

:mod:`tests.deploy.containers` builds each Dockerfile with ``buildah bud`` on local stand-ins for
the pinned base images and runs the result with ``buildah run``: a worker image against a Temporal
dev server this test starts on 127.0.0.1 must serve exactly its own queue and answer ``/health``
200; the API image must answer ``/health`` and complete an order end to end with the three worker
images; every container runs as its image's non-root user; the API image holds no worker code and
no dev dependency. Each image's size is printed (``-s`` shows it; ``-ra`` summaries do not).

Needs root, ``buildah`` and ``debootstrap`` (``.ci/run`` installs them). Without them the tests
skip with the reason, except in CI (``CI=true``), where they fail: CI must build the images.
The first run makes the stand-in bases (about a minute and a half) and downloads the wheels;
later runs reuse both from disk.
"""

from __future__ import annotations

import asyncio
import json
import os
import tomllib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporal_core.authoring.registry import registered_queues, registry
from temporal_core.testing.dev_server import free_port
from temporal_core.testing.environments import start_dev_environment
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.testing import WorkflowEnvironment

from tests.auth_tokens import AUTH_ENV, bearer
from tests.deploy import containers
from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile
from tests.deploy.workspace import closure, import_name, is_worker, members

pytestmark = pytest.mark.images

APP_UID = 10001
WORKERS = [path for path in SERVICE_DOCKERFILES if is_worker(Dockerfile.parse(path).package)]
API_DOCKERFILE = next(p for p in SERVICE_DOCKERFILES if Dockerfile.parse(p).package == "api")

# Printed inside a container: who runs it, what the venv holds (distributions and the raw
# site-packages listing, so a module copied in without metadata shows up too).
_INSPECT = (
    "import importlib.metadata as m, json, os, sysconfig; "
    "site = sysconfig.get_paths()['purelib']; "
    "print(json.dumps({'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid(), "
    "'site': site, 'listing': sorted(os.listdir(site)), "
    "'dists': sorted(d.metadata['Name'] for d in m.distributions())}))"
)


def _normal(name: str) -> str:
    return name.lower().replace("_", "-")


def _locked_closure(package: str) -> set[str]:
    """Every distribution ``package`` needs at run time, transitively, as ``uv.lock`` says."""
    locked = {
        entry["name"]: entry for entry in tomllib.loads((REPO / "uv.lock").read_text())["package"]
    }
    seen: set[str] = set()
    todo = [package]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        entry = locked[name]
        dependencies = entry.get("dependencies", [])
        todo += [d["name"] for d in dependencies]
        # A dependency on `x[extra]` pulls in x's optional dependencies for that extra.
        for dependency in dependencies:
            target = locked[dependency["name"]].get("optional-dependencies", {})
            for extra in dependency.get("extra", []):
                todo += [d["name"] for d in target.get(extra, [])]
    return seen


def _dev_only(package: str) -> set[str]:
    """The root dev group's third-party tools that ``package`` does not need at run time."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text())
    dev = {
        _normal(spec.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip())
        for spec in root["dependency-groups"]["dev"]
        if isinstance(spec, str)
    }
    return dev - set(members()) - _locked_closure(package)


# Session state ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def can_build() -> None:
    """Skip (or, in CI, fail) when this machine cannot build and run images."""
    reason = containers.missing_requirements()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must build and run the images, but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def bases(can_build: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The pinned base images, made as local stand-ins where they are missing (once a run)."""
    pinned = containers.pinned_bases(SERVICE_DOCKERFILES)
    containers.remove_leftover_containers(pinned)
    report = containers.ensure_bases(pinned, tmp_path_factory.mktemp("bases"))
    print(f"\nbase images: {report.outcomes}")
    yield report.outcomes
    containers.remove_leftover_containers(pinned)


_BUILT: dict[Path, str] = {}


@pytest.fixture(scope="session")
def built(bases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``built(dockerfile)``: build the image once a session and return its tag."""
    logs = tmp_path_factory.mktemp("build-logs")

    def build(dockerfile: Path) -> str:
        if dockerfile not in _BUILT:
            package = Dockerfile.parse(dockerfile).package
            tag = containers.image_tag(package)
            log = logs / f"{package}.log"
            result = containers.build(dockerfile, tag, log)
            if result.returncode != 0:
                pytest.fail(
                    f"{dockerfile.relative_to(REPO)} does not build:\n{log.read_text()[-6000:]}"
                )
            _BUILT[dockerfile] = tag
        return _BUILT[dockerfile]

    return build


@pytest.fixture
def container_of(built: Any, tmp_path: Path) -> Iterator[Any]:
    """``container_of(dockerfile)``: a fresh working container of the image, removed after."""
    made: list[containers.Container] = []

    def make(dockerfile: Path) -> containers.Container:
        container = containers.Container(built(dockerfile), tmp_path)
        made.append(container)
        return container

    yield make
    for container in made:
        container.remove()


@pytest.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """A Temporal dev server of this test's own (on a free 127.0.0.1 port), so the pollers a
    test sees are those of its containers only."""
    env = await start_dev_environment()
    try:
        yield env
    finally:
        await env.shutdown()


def _params(paths: list[Path]) -> list[Any]:
    return [pytest.param(path, id=path.parent.name) for path in paths]


# Build and contents ----------------------------------------------------------------------------


@pytest.mark.timeout(900)
@pytest.mark.parametrize("dockerfile", _params(SERVICE_DOCKERFILES))
def test_image_builds_and_holds_only_its_service(
    dockerfile: Path, container_of: Any, built: Any
) -> None:
    package = Dockerfile.parse(dockerfile).package
    tag = built(dockerfile)
    print(f"\n{tag}: {containers.image_size(tag)}")
    config = containers.image_config(tag)
    assert config.get("User") == f"{APP_UID}:{APP_UID}"

    inside = container_of(dockerfile).run(["python", "-c", _INSPECT])
    assert inside.returncode == 0, inside.stdout + inside.stderr
    facts = json.loads(inside.stdout)
    # The image's own USER, seen from inside: not root.
    assert (facts["uid"], facts["euid"], facts["gid"]) == (APP_UID, APP_UID, APP_UID)
    assert facts["site"].startswith("/app/.venv/")

    installed = {_normal(name) for name in facts["dists"]}
    ours = set(members())
    assert installed & ours == closure(package), "the image holds other services' code"
    # Everything installed is what the lock says this package needs: nothing resolved anew.
    assert installed <= _locked_closure(package), installed - _locked_closure(package)
    assert not installed & _dev_only(package), f"dev dependencies: {installed & _dev_only(package)}"
    modules = {entry.split("-")[0] for entry in facts["listing"]}
    foreign = {import_name(m) for m in ours - closure(package)}
    assert not modules & foreign, f"site-packages holds {modules & foreign}"
    if package == "api":
        assert not any(name.startswith("worker_") for name in modules)


# Running ---------------------------------------------------------------------------------------


def _pollers(env: WorkflowEnvironment, queue: str) -> Any:
    return env.client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=env.client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )


def _start_worker(
    container: containers.Container, address: str
) -> tuple[containers.Service, int, int]:
    health, metrics = free_port(), free_port()
    service = container.start(
        ["serve"],
        {
            "TEMPORAL_URL": address,
            # Free ports on loopback: the containers share the host's network here. The images'
            # 0.0.0.0 default is checked in the image config below.
            "WORKER_HEALTH_HOST": "127.0.0.1",
            "WORKER_HEALTH_PORT": str(health),
            "WORKER_METRICS_HOST": "127.0.0.1",
            "WORKER_METRICS_PORT": str(metrics),
        },
    )
    return service, health, metrics


def _assert_runs_as_app_user(service: containers.Service) -> None:
    pids = service.service_pids()
    assert pids, "no process runs in the container"
    uids = {pid: containers.process_uids(pid) for pid in pids}
    assert all(uid == (APP_UID, APP_UID) for uid in uids.values()), uids


@pytest.mark.timeout(600)
@pytest.mark.parametrize("dockerfile", _params(WORKERS))
async def test_worker_image_serves_only_its_queue(
    dockerfile: Path, container_of: Any, dev_server: WorkflowEnvironment
) -> None:
    package = Dockerfile.parse(dockerfile).package
    owned = registry.package(package)
    assert owned is not None
    container = await asyncio.to_thread(container_of, dockerfile)
    env = containers.image_config(containers.image_tag(package)).get("Env", [])
    # Reachable by a scraper and by the kubelet: the image binds both endpoints on every address.
    assert "WORKER_METRICS_HOST=0.0.0.0" in env
    assert "WORKER_HEALTH_HOST=0.0.0.0" in env

    address = dev_server.client.service_client.config.target_host
    service, health_port, metrics_port = _start_worker(container, address)
    status, body = await asyncio.to_thread(
        containers.wait_for_http, f"http://127.0.0.1:{health_port}/health", service
    )
    assert status == 200
    report = json.loads(body)
    assert set(report["queues"]) == set(owned.queues), report
    _assert_runs_as_app_user(service)
    # The environment decides where metrics listen (the images set 0.0.0.0).
    assert containers.listening_address(metrics_port) == "127.0.0.1"
    async with httpx.AsyncClient() as http:
        metrics = await http.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert "temporal_" in metrics.text

    for queue in registered_queues(registry.discover()):
        described = await _pollers(dev_server, queue)
        assert bool(described.pollers) == (queue in owned.queues), (queue, described.pollers)

    status_code = await asyncio.to_thread(service.stop)
    assert status_code == 0, service.output()


@pytest.mark.timeout(600)
async def test_api_image_completes_an_order_with_the_worker_images(
    container_of: Any, dev_server: WorkflowEnvironment
) -> None:
    address = dev_server.client.service_client.config.target_host
    workers: list[containers.Service] = []
    for dockerfile in WORKERS:
        container = await asyncio.to_thread(container_of, dockerfile)
        service, health_port, _ = _start_worker(container, address)
        await asyncio.to_thread(
            containers.wait_for_http, f"http://127.0.0.1:{health_port}/health", service
        )
        workers.append(service)

    api_port = free_port()
    api = (await asyncio.to_thread(container_of, API_DOCKERFILE)).start(
        ["serve"],
        {
            "TEMPORAL_URL": address,
            "API_HOST": "127.0.0.1",
            "API_PORT": str(api_port),
            **AUTH_ENV,
        },
    )
    base = f"http://127.0.0.1:{api_port}"
    status, _ = await asyncio.to_thread(containers.wait_for_http, f"{base}/health", api)
    assert status == 200
    _assert_runs_as_app_user(api)

    async with httpx.AsyncClient(base_url=base, timeout=60, headers=bearer()) as client:
        started = await client.post(
            "/orders",
            json={"order_id": "image-1", "customer_email": "a@example.com", "amount": 12.5},
        )
        assert started.status_code == 202, started.text
        result = await client.get(started.json()["result_url"], params={"wait": 30})
        assert result.status_code == 200, result.text + api.output()

    for service in [api, *workers]:
        assert await asyncio.to_thread(service.stop) == 0, service.output()
