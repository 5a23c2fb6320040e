"""Prometheus and Grafana in docker-compose.yml see every service, and Grafana finds its files.

Prometheus must scrape the API and every worker service on the ports those services really
serve metrics on (from their effective environment), by DNS discovery so scaled replicas are
scraped too; Grafana's mounts, provisioning paths and datasource must line up with each other
and with the dashboards' datasource.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from tests.deploy import compose
from tests.deploy.dockerfile import REPO
from tests.deploy.workspace import is_worker

COMPOSE = compose.load()
SERVICES = COMPOSE["services"]
OUR_SERVICES = compose.our_services(COMPOSE)
WORKERS = sorted(name for name, image in OUR_SERVICES.items() if is_worker(image.package))


def _effective_env(service: str) -> dict[str, str]:
    return OUR_SERVICES[service].runtime.env() | compose.environment(SERVICES[service])


def _mounts(service: str) -> dict[str, Path]:
    """Bind mounts of ``service``: container path -> file or directory in the repository."""
    found: dict[str, Path] = {}
    for volume in SERVICES[service].get("volumes", []):
        source, _, rest = str(volume).partition(":")
        if source.startswith("./"):
            found[rest.split(":", 1)[0]] = REPO / source
    return found


def _mounted(service: str, container_path: str) -> Path:
    """The repository file that ``container_path`` is inside ``service``'s container."""
    for target, source in _mounts(service).items():
        if PurePosixPath(container_path).is_relative_to(target):
            return source / PurePosixPath(container_path).relative_to(target)
    raise AssertionError(f"{container_path} is not mounted into {service}")


def _prometheus_config() -> dict[str, Any]:
    flags = dict(
        str(arg).removeprefix("--").partition("=")[::2] for arg in SERVICES["prometheus"]["command"]
    )
    return yaml.safe_load(_mounted("prometheus", flags["config.file"]).read_text())


def _dns_targets(job: str) -> set[tuple[str, int]]:
    (config,) = [c for c in _prometheus_config()["scrape_configs"] if c["job_name"] == job]
    return {(name, sd["port"]) for sd in config["dns_sd_configs"] for name in sd["names"]}


def test_prometheus_scrapes_the_api_on_its_port() -> None:
    assert _dns_targets("api") == {("api", int(_effective_env("api")["API_PORT"]))}


def test_prometheus_scrapes_every_worker_replica_on_its_metrics_port() -> None:
    expected: set[tuple[str, int]] = set()
    for worker in WORKERS:
        env = _effective_env(worker)
        assert env.get("WORKER_METRICS_HOST") == "0.0.0.0", f"{worker}: unreachable from outside"
        expected.add((worker, int(env["WORKER_METRICS_PORT"])))
    assert _dns_targets("workers") == expected


def _provisioning(kind: str) -> list[dict[str, Any]]:
    directory = _mounted("grafana", f"/etc/grafana/provisioning/{kind}")
    return [yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yaml"))]


def test_grafana_datasource_is_the_compose_prometheus() -> None:
    (datasource,) = [d for doc in _provisioning("datasources") for d in doc["datasources"]]
    assert datasource["url"] == "http://prometheus:9090"
    assert "9090" in " ".join(SERVICES["prometheus"]["ports"])
    dashboards = sorted(
        path
        for provider in (p for doc in _provisioning("dashboards") for p in doc["providers"])
        for path in _mounted("grafana", provider["options"]["path"]).glob("*.json")
    )
    assert dashboards, "the dashboard provider's path holds no dashboard"
    for path in dashboards:
        text = path.read_text()
        uids = {ds["uid"] for ds in _datasources(json.loads(text))}
        assert uids == {datasource["uid"]}, f"{path.name} uses datasources {uids}"


def _datasources(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node["datasource"]] if isinstance(node.get("datasource"), dict) else []
        return found + [d for value in node.values() for d in _datasources(value)]
    if isinstance(node, list):
        return [d for item in node for d in _datasources(item)]
    return []


def test_grafana_home_dashboard_is_mounted() -> None:
    home = compose.environment(SERVICES["grafana"])["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert _mounted("grafana", home).is_file()
