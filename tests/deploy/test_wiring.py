"""The Dockerfiles and docker-compose.yml agree with the code they deploy.

Every variable our images and services set must be one the code reads (a misspelt
``TEMPORAL_ADRESS`` would otherwise be ignored without a word: the settings allow extra
variables); every health check must ask an endpoint the code serves; the layering, user, pinning
and scaling rules of docs/deploying.md hold for every image and service.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import pytest
from contracts.search_attributes import BUSINESS_SEARCH_ATTRIBUTES
from temporal_core.client.key_ring import new_key_entry
from temporal_core.testing.dev_server import free_port

from tests.auth_tokens import AUTH_ENV
from tests.deploy import compose, replay
from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile
from tests.deploy.workspace import (
    EnvReads,
    closure,
    is_worker,
    members,
)

DOCKERFILES = {path.parent.name: Dockerfile.parse(path) for path in SERVICE_DOCKERFILES}
COMPOSE = compose.load()
OUR_SERVICES = compose.our_services(COMPOSE)
THIRD_PARTY = sorted(set(COMPOSE["services"]) - set(OUR_SERVICES))

# Set by the images for Python itself and the shell, not by our code.
_PLATFORM_ENV = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"}


_ENV_READS: dict[str, EnvReads] = {}


def _env_reads(package: str) -> EnvReads:
    """What ``package`` and the workspace members it installs read (cached: imports modules)."""
    if package not in _ENV_READS:
        _ENV_READS[package] = EnvReads(closure(package))
    return _ENV_READS[package]


# --- Dockerfiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_installs_its_own_package(name: str) -> None:
    image = DOCKERFILES[name]
    assert image.package == name
    assert image.runtime.env().get("SERVE_PACKAGE") == name


def _manifests(root: Path) -> set[str]:
    """What ``uv sync --locked`` reads to check the lock: the lock and every pyproject.toml."""
    return {"uv.lock", "pyproject.toml"} | {
        (path / "pyproject.toml").relative_to(root).as_posix() for path in members(root).values()
    }


@pytest.fixture(params=["repository", "grown"])
def workspace_root(request: pytest.FixtureRequest) -> Path:
    """The repository, and a copy of it with one more member (``conftest.grown_workspace``)."""
    if request.param == "repository":
        return REPO
    return request.getfixturevalue("grown_workspace")


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_every_uv_sync_sees_every_manifest_and_the_dependency_layer_nothing_else(
    name: str, workspace_root: Path, tmp_path: Path
) -> None:
    """``uv sync --locked`` checks the lock against every member, so each manifest must be there.

    The committed Dockerfile is replayed in the repository and in a workspace grown by a member
    no Dockerfile names: both must pass, which is what lets a member be added without editing
    any service's Dockerfile. The first (dependency) layer must see nothing but the manifests, or
    a source edit would rebuild it.
    """
    needed = _manifests(workspace_root)
    syncs = list(_files_seen_by_uv_syncs(DOCKERFILES[name], workspace_root, tmp_path))
    assert len(syncs) == 2, "one dependency layer, one layer for our packages"
    (first_line, first), (_, last) = syncs
    assert first == needed, f"line {first_line}: missing {needed - first}, extra {first - needed}"
    assert needed <= last, f"the final uv sync misses {needed - last}"


def _files_seen_by_uv_syncs(
    image: Dockerfile, context: Path, scratch: Path
) -> Iterator[tuple[int, set[str]]]:
    for step in replay.uv_syncs(image, context, scratch):
        yield step.instruction.line, step.files()


def test_manifest_check_notices_a_dependency_layer_without_the_manifests(tmp_path: Path) -> None:
    """Guards the check above: without the manifests stage's copy, the manifests are missed."""
    image = DOCKERFILES["worker-orders"]
    builder = image.stage("builder")
    without = [i for i in builder.instructions if i.flag("from") != "manifests"]
    assert len(without) == len(builder.instructions) - 1, "no COPY --from=manifests to drop"
    broken = replace(
        image,
        stages=[replace(s, instructions=without) if s is builder else s for s in image.stages],
    )
    _, first = next(_files_seen_by_uv_syncs(broken, REPO, tmp_path))
    assert _manifests(REPO) - first == {
        str(path.relative_to(REPO) / "pyproject.toml") for path in members().values()
    }


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_image_copies_the_sources_of_exactly_its_workspace_closure(name: str) -> None:
    """Our own code in an image is its member and the members it depends on (in uv.lock).

    A missing one fails the build; an extra one ships code the service never runs (the API
    image, for instance, must hold no worker code).
    """
    image = DOCKERFILES[name]
    copied = []
    for instruction in image.stage("builder").all("COPY"):
        if instruction.flag("from") is None:
            source, destination = instruction.words()
            assert source.rstrip("/") == destination.rstrip("/"), "sources keep the repo layout"
            copied.append(source.rstrip("/"))
    wanted = {members()[m].relative_to(REPO).as_posix() for m in closure(image.package)}
    assert sorted(copied) == sorted(wanted), f"copied {sorted(copied)}, needs {sorted(wanted)}"


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_mount_targets_are_absolute(name: str) -> None:
    # BuildKit resolves a relative target against WORKDIR; buildah rejects it. Absolute suits both.
    for stage in DOCKERFILES[name].stages:
        for instruction in stage.all("RUN"):
            for mount in instruction.mounts():
                assert mount["target"].startswith("/"), f"line {instruction.line}: {mount}"


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dependency_layer_comes_before_the_sources(name: str) -> None:
    builder = DOCKERFILES[name].stage("builder")
    first, last = builder.uv_syncs()[0], builder.uv_syncs()[-1]
    assert "--no-install-workspace" in first.words()
    copies = [i.line for i in builder.all("COPY") if i.flag("from") is None]
    assert copies, "no COPY of our sources"
    assert first.line < min(copies), "dependencies must install before any source is copied"
    assert max(copies) < last.line, "the final sync must see every copied source"
    for sync in (first, last):
        assert {"--locked", "--no-dev", "--no-editable"} <= set(sync.words())


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_images_are_pinned_and_stages_share_one_python(name: str) -> None:
    image = DOCKERFILES[name]
    for stage in image.stages:
        repository, _, tag = stage.base.rpartition(":")
        assert repository, f"{stage.base} has no tag"
        assert tag != "latest", f"{stage.base} is not pinned"
        assert any(char.isdigit() for char in tag), f"{stage.base}: tag is not a version"
    # The venv's interpreter link points at the builder's Python; the runtime must have it too.
    assert image.stage("builder").base == image.runtime.base


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_runtime_holds_only_the_venv_and_runs_serve_as_non_root(name: str) -> None:
    image = DOCKERFILES[name]
    venv = image.stage("builder").env()["UV_PROJECT_ENVIRONMENT"]
    copies = image.runtime.all("COPY")
    assert [c.flag("from") for c in copies] == ["builder"]
    assert copies[0].words() == [venv, venv]
    assert image.runtime.env()["PATH"].startswith(f"{venv}/bin:")
    user = image.runtime.last("USER")
    assert user is not None
    assert user.arguments.split(":")[0] not in {"root", "0"}
    assert user.arguments.split(":")[0].isdigit(), "numeric, so runAsNonRoot can verify it"
    cmd = image.runtime.last("CMD")
    assert cmd is not None
    assert cmd.exec_form() == ["serve"]


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_image_environment_is_read_by_the_code(name: str) -> None:
    image = DOCKERFILES[name]
    reads = _env_reads(image.package)
    unread = {key for key in image.runtime.env() if key not in _PLATFORM_ENV} - {
        key for key in image.runtime.env() if reads.accepts(key)
    }
    assert not unread, f"{name} image sets variables no code of {image.package} reads: {unread}"


# --- docker-compose.yml --------------------------------------------------------------------------


def test_compose_builds_every_service_image() -> None:
    assert {d.path for d in OUR_SERVICES.values()} == set(SERVICE_DOCKERFILES)
    assert set(OUR_SERVICES) == {d.package for d in OUR_SERVICES.values()}


@pytest.mark.parametrize("service", sorted(OUR_SERVICES))
def test_compose_environment_is_read_by_the_code(service: str) -> None:
    package = OUR_SERVICES[service].package
    reads = _env_reads(package)
    environment = compose.environment(COMPOSE["services"][service])
    unread = sorted(key for key in environment if not reads.accepts(key))
    assert not unread, f"{service} sets variables that no code of {package} reads: {unread}"


def test_the_checker_rejects_what_the_code_does_not_read() -> None:
    """Guards the check itself, with names a careless edit could produce."""
    reads = _env_reads("worker-orders")
    for wrong in ("TEMPORAL_ADRESS", "TEMPORAL_QUEUES__ORDERS__NOPE", "API_HOST", "WORKER_PORT"):
        assert not reads.accepts(wrong), wrong
    for right in (
        "TEMPORAL_URL",
        "TEMPORAL_ADDRESS",  # Temporal's standard name for the same setting
        "TEMPORAL_QUEUES__ORDERS__ACTIVITY_RETRY__MAXIMUM_ATTEMPTS",
    ):
        assert reads.accepts(right), right


def _effective_env(service: str) -> dict[str, str]:
    """What the container sees: the image's ENV overridden by the compose environment."""
    return OUR_SERVICES[service].runtime.env() | compose.environment(COMPOSE["services"][service])


def _health_target(command: list[str]) -> tuple[str, str]:
    """(path, port variable) of our health-check one-liner."""
    text = " ".join(command)
    path = text.split("http://127.0.0.1:%s", 1)[1].split("'", 1)[0]
    port_variable = text.split("os.environ['", 1)[1].split("'", 1)[0]
    return path, port_variable


def _health_checks() -> list[tuple[str, str, list[str]]]:
    """(service, where, command) for every health check of our services: compose and image."""
    checks = []
    for service, image in sorted(OUR_SERVICES.items()):
        from_compose = compose.healthcheck_command(COMPOSE["services"][service])
        assert from_compose is not None, f"{service} has no healthcheck in docker-compose.yml"
        checks.append((service, "compose", from_compose))
        healthcheck = image.runtime.last("HEALTHCHECK")
        assert healthcheck is not None, f"{image.path} has no HEALTHCHECK"
        checks.append((service, "image", healthcheck.exec_form()))
    return checks


def _app_of(package: str) -> Any:
    """The HTTP app a non-worker ``package`` serves."""
    if package == "codec-server":
        from codec_server.app import create_app
        from codec_server.settings import CodecServerSettings
        from pydantic import SecretStr
        from temporal_core.client.codec_settings import CodecSettings

        codec = CodecSettings(enabled=True, keys=SecretStr(new_key_entry("k1"))).payload_codec()
        assert codec is not None
        return create_app(codec, CodecServerSettings(token=SecretStr("t" * 32)))
    import api.main

    from tests.api.support import environment

    # The image's app is built from the environment, which names its key set (compose secret).
    with environment(AUTH_ENV):
        return api.main.app


def _serves_get(package: str, path: str) -> bool:
    """Whether ``package``'s app routes ``GET path`` to an endpoint, asked as Starlette asks.

    Matching (rather than listing ``app.routes``) also sees routes of included routers, which
    recent FastAPI versions keep nested instead of flattening.
    """
    from starlette.routing import Match

    app = _app_of(package)

    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


async def _worker_health_server_answers(path: str) -> int:
    from temporal_core.worker.health import HealthReport, HealthServer

    async def healthy() -> HealthReport:
        return HealthReport(healthy=True, detail={})

    port = free_port()
    server = HealthServer(healthy, host="127.0.0.1", port=port)
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            return (await client.get(path)).status_code
    finally:
        await server.stop()


@pytest.mark.parametrize(
    ("service", "where", "command"),
    _health_checks(),
    ids=[f"{service}-{where}" for service, where, _ in _health_checks()],
)
async def test_health_check_targets_an_endpoint_the_code_serves(
    service: str, where: str, command: list[str]
) -> None:
    path, port_variable = _health_target(command)
    package = OUR_SERVICES[service].package
    assert port_variable in _effective_env(service), f"{port_variable} is not set for {service}"
    assert _env_reads(package).accepts(port_variable), f"{port_variable} is read by no code"
    if is_worker(package):
        # The worker's health server is asked directly: the path must answer 200 when healthy,
        # and a wrong path must not (so the 200 means the path is right).
        assert await _worker_health_server_answers(path) == 200
        assert await _worker_health_server_answers(path + "-not-there") == 404
    else:
        assert _serves_get(package, path), f"GET {path} is not a route of {package}'s app"
        assert not _serves_get(package, path + "-not-there"), "the route check matches anything"


# --- compose topology ----------------------------------------------------------------------------


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    raw = service.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in raw.items()}


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_depends_on_conditions_can_be_met(service: str) -> None:
    services = COMPOSE["services"]
    for target, condition in _depends_on(services[service]).items():
        assert target in services, f"{service} depends on unknown {target}"
        if condition == "service_healthy":
            has_check = "healthcheck" in services[target] or (
                target in OUR_SERVICES and OUR_SERVICES[target].runtime.last("HEALTHCHECK")
            )
            assert has_check, f"{service} waits for {target} to be healthy; it has no check"
        if condition == "service_completed_successfully":
            restart = services[target].get("restart", "no")
            assert restart in {"no", "on-failure"} or restart.startswith("on-failure:"), (
                f"{target} is waited on to finish, so it must not restart forever"
            )


def test_our_services_wait_for_temporal_setup_and_have_health_checks() -> None:
    for service in OUR_SERVICES:
        definition = COMPOSE["services"][service]
        assert _depends_on(definition).get("temporal-setup") == "service_completed_successfully"
        assert "healthcheck" in definition


@pytest.mark.parametrize(
    "service", sorted(s for s, d in OUR_SERVICES.items() if is_worker(d.package))
)
def test_workers_scale_and_drain(service: str) -> None:
    definition = COMPOSE["services"][service]
    # `--scale worker-x=3` needs distinct container names and no fixed host port.
    assert "container_name" not in definition
    assert "ports" not in definition
    # Docker must wait longer than the worker drains before it sends SIGKILL.
    drain = float(_effective_env(service).get("TEMPORAL_DRAIN_TIMEOUT", "30"))
    grace = definition.get("stop_grace_period", "10s")
    assert grace.endswith("s"), grace
    assert float(grace[:-1]) > drain, f"{grace} <= drain {drain}s"


def _volume_for(service: str, container_path: str) -> str | None:
    for volume in COMPOSE["services"][service].get("volumes", []):
        source, _, target = str(volume).partition(":")
        target = target.split(":", 1)[0]
        if PurePosixPath(container_path).is_relative_to(target):
            return source
    return None


def test_reports_are_shared_between_worker_and_api() -> None:
    writers_and_readers = [s for s in OUR_SERVICES if "REPORTS_DIR" in _effective_env(s)]
    assert {"api", "worker-reports"} <= set(writers_and_readers)
    volumes = {_volume_for(s, _effective_env(s)["REPORTS_DIR"]) for s in writers_and_readers}
    assert len(volumes) == 1, volumes
    assert volumes <= set(COMPOSE["volumes"]), volumes


def test_side_effects_file_is_on_a_volume_every_worker_shares() -> None:
    users = [s for s in OUR_SERVICES if "SIDE_EFFECTS_DB" in _effective_env(s)]
    assert users
    volumes = {
        _volume_for(s, str(PurePosixPath(_effective_env(s)["SIDE_EFFECTS_DB"]).parent))
        for s in users
    }
    assert len(volumes) == 1, volumes
    assert volumes <= set(COMPOSE["volumes"]), volumes


def test_the_api_verifies_tokens_with_a_compose_secret_kept_out_of_git_and_images() -> None:
    api = COMPOSE["services"]["api"]
    keys_file = _effective_env("api")["API_AUTH_KEYS_FILE"]
    secret = PurePosixPath(keys_file).name
    assert keys_file == f"/run/secrets/{secret}"
    assert secret in api["secrets"]
    source = COMPOSE["secrets"][secret]["file"]
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", source], cwd=REPO, check=False
    ).returncode
    assert ignored == 0, f"{source} is not git-ignored"
    assert (REPO / ".dockerignore").read_text().splitlines().count(
        PurePosixPath(source).parts[0]
    ) == 1, f"{source} may reach an image"


@pytest.mark.parametrize("service", sorted(COMPOSE["services"]))
def test_third_party_images_are_pinned(service: str) -> None:
    definition = COMPOSE["services"][service]
    if service in OUR_SERVICES:
        assert "build" in definition
        return
    _, _, tag = definition["image"].rpartition(":")
    assert tag != "latest", definition["image"]
    assert any(c.isdigit() for c in tag), definition["image"]


def test_custom_search_attributes_are_registered() -> None:
    script = " ".join(COMPOSE["services"]["temporal-setup"]["command"])
    expected = {"CustomKeywordField": "Keyword", "CustomIntField": "Int"}
    for name, kind in {**expected, **BUSINESS_SEARCH_ATTRIBUTES}.items():
        assert f"{name}:{kind}" in script


def test_otlp_goes_to_the_trace_viewer_over_http() -> None:
    for service in OUR_SERVICES:
        endpoint = _effective_env(service).get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        host, _, port = endpoint.removeprefix("http://").partition(":")
        assert host in COMPOSE["services"], endpoint
        assert port == "4318", f"{endpoint}: our exporter speaks OTLP/HTTP"
        assert _effective_env(service).get("OTEL_SERVICE_NAME") == service


def test_third_party_services_listed() -> None:
    # Their own variables are theirs to define; only their presence is checked here.
    assert {"postgresql", "temporal", "temporal-ui", "jaeger"} <= set(THIRD_PARTY)
