"""The Kubernetes manifests (deploy/k8s, kustomize base + dev and prod overlays), checked offline.

Each overlay is rendered with :mod:`tests.deploy.kustomize` (and, where ``kubectl`` is
installed, compared with ``kubectl kustomize``); core resources are validated against the
Kubernetes schemas bundled in ``kubernetes-validate``; KEDA's resources against the fields KEDA
documents for its ``temporal`` scaler. Then the rules docs/deploying.md promises: probes,
grace periods longer than the drain, resources, a locked-down security context, disruption
budgets, scrape annotations, network policies, secrets by reference only, and one backlog
scaler per worker queue.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from temporal_core.authoring.registry import registry

from tests.deploy import kustomize
from tests.deploy.dockerfile import REPO, SERVICE_DOCKERFILES, Dockerfile
from tests.deploy.workspace import EnvReads, closure, is_worker

K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(path.parent.name for path in (K8S / "overlays").glob("*/kustomization.yaml"))
KUBERNETES_VERSION = "1.33.0"
IMAGES = {Dockerfile.parse(path).package: Dockerfile.parse(path) for path in SERVICE_DOCKERFILES}
DEFAULT_DRAIN_SECONDS = 30.0  # TemporalSettings.drain_timeout
# The variable holding each HTTP service's health port; workers use WORKER_HEALTH_PORT.
_HEALTH_PORT_VARIABLE = {"api": "API_PORT", "codec-server": "CODEC_SERVER_PORT"}

# The temporal scaler's trigger metadata and authentication parameters as KEDA documents them
# (keda.sh, scalers/temporal, v2.17 and later; deprecated ones left out on purpose).
KEDA_TEMPORAL_METADATA = {
    "endpoint",
    "endpointFromEnv",
    "namespace",
    "activationTargetQueueSize",
    "targetQueueSize",
    "taskQueue",
    "queueTypes",
    "workerDeploymentName",
    "workerDeploymentBuildId",
    "includeRunningWorkflowCount",
    "workflowTaskQueueForCount",
    "apiKeyFromEnv",
    "minConnectTimeout",
    "unsafeSsl",
    "tlsServerName",
    "enableTLS",
}
KEDA_TEMPORAL_AUTH = {"apiKey", "ca", "cert", "key", "keyPassword"}
KEDA_QUEUE_TYPES = {"workflow", "activity", "nexus"}
SCALED_OBJECT_SPEC = {
    "scaleTargetRef",
    "pollingInterval",
    "cooldownPeriod",
    "initialCooldownPeriod",
    "idleReplicaCount",
    "minReplicaCount",
    "maxReplicaCount",
    "fallback",
    "advanced",
    "triggers",
}


def _render(overlay: str) -> list[dict[str, Any]]:
    return kustomize.render(K8S / "overlays" / overlay)


def _of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(deployment: dict[str, Any], config: dict[str, str]) -> dict[str, str]:
    """What the container sees: the image's ENV, then envFrom ConfigMaps, then env."""
    container = _container(deployment)
    values = dict(IMAGES[deployment["metadata"]["name"]].runtime.env())
    if container.get("envFrom"):
        values |= config
    for entry in container.get("env", []):
        values[entry["name"]] = entry.get("value", "<from a reference>")
    return values


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, _render(request.param)


def test_both_overlays_exist() -> None:
    assert OVERLAYS == ["dev", "prod"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed here")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_renderer_agrees_with_kubectl_kustomize(overlay: str) -> None:
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    theirs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    def key(resource: dict[str, Any]) -> tuple[str, str]:
        return resource["kind"], resource["metadata"]["name"]

    assert sorted(map(key, theirs)) == sorted(map(key, _render(overlay)))
    ours = {key(r): r for r in _render(overlay)}
    for resource in theirs:
        assert ours[key(resource)] == resource, key(resource)


def test_core_resources_match_the_kubernetes_schemas(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    for resource in resources:
        if resource["apiVersion"].startswith("keda.sh/"):
            continue
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_every_service_has_a_deployment_with_its_image(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, resources = rendered
    deployments = _of_kind(resources, "Deployment")
    assert set(deployments) == set(IMAGES)
    for name, deployment in deployments.items():
        image = _container(deployment)["image"]
        assert image.startswith(f"temporal-fastapi/{name}:"), image
        assert not image.endswith((":latest", ":")), image
        assert deployment["metadata"]["namespace"].startswith("temporal-fastapi"), overlay


def test_deployments_are_probed_and_locked_down(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    config = next(iter(_of_kind(resources, "ConfigMap").values()))["data"]
    for name, deployment in _of_kind(resources, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        env = _env(deployment, config)
        port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
        health_port = int(env[_HEALTH_PORT_VARIABLE.get(name, "WORKER_HEALTH_PORT")])

        readiness, liveness = container["readinessProbe"], container["livenessProbe"]
        assert readiness["httpGet"]["path"] == "/health", name
        # The API's liveness is /health/live: restarting cannot fix an unreachable Temporal.
        assert liveness["httpGet"]["path"] in {"/health", "/health/live"}, name
        for probe in (readiness, liveness):
            assert port_names[probe["httpGet"]["port"]] == health_port, name
        if is_worker(name):
            assert env["WORKER_HEALTH_HOST"] == "0.0.0.0", "the kubelet probes from outside"
        if name == "codec-server":
            assert env["CODEC_SERVER_HOST"] == "0.0.0.0", "the kubelet probes from outside"

        drain = float(env.get("TEMPORAL_DRAIN_TIMEOUT", DEFAULT_DRAIN_SECONDS))
        assert pod["terminationGracePeriodSeconds"] > drain, name

        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)

        user = IMAGES[name].runtime.last("USER")
        assert user is not None
        uid = int(user.arguments.split(":")[0])
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == uid
        assert pod["automountServiceAccountToken"] is False
        locked = container["securityContext"]
        assert locked["allowPrivilegeEscalation"] is False
        assert locked["readOnlyRootFilesystem"] is True
        assert locked["capabilities"]["drop"] == ["ALL"]
        # A read-only root needs writable mounts exactly where the services write.
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        data_dirs = {v for k, v in env.items() if k in {"REPORTS_DIR", "SIDE_EFFECTS_DB"}}
        assert "/tmp" in mounts
        for path in data_dirs:
            assert any(path == m or path.startswith(m + "/") for m in mounts), (name, path)


def test_environment_is_read_by_the_code(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = rendered
    config = next(iter(_of_kind(resources, "ConfigMap").values()))["data"]
    for name, deployment in _of_kind(resources, "Deployment").items():
        reads = EnvReads(closure(name))
        # What the manifests add; the images' own ENV is test_wiring's business.
        names = set(config) | {e["name"] for e in _container(deployment).get("env", [])}
        assert sorted(k for k in names if not reads.accepts(k)) == [], name


def test_secrets_are_referenced_never_defined(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = rendered
    assert not _of_kind(resources, "Secret"), "secrets are created out of band, not committed"
    text = yaml.safe_dump_all(resources)
    assert "temporal-api-key" in text
    for deployment in _of_kind(resources, "Deployment").values():
        for entry in _container(deployment).get("env", []):
            secret = entry["name"].endswith(("_KEY", "_PASSWORD", "_TOKEN", "_SECRET"))
            assert not secret or "valueFrom" in entry, entry


def test_prod_talks_tls_to_temporal() -> None:
    resources = _render("prod")
    for name, deployment in _of_kind(resources, "Deployment").items():
        env = {e["name"]: e.get("value") for e in _container(deployment)["env"]}
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert env["TEMPORAL_TLS_ENABLED"] == "true", name
        secret = volumes["temporal-tls"]["secret"]
        assert secret["secretName"] == "temporal-tls"
        assert not secret.get("optional", False), "a pod without its certificate must not start"
        mount = next(
            m for m in _container(deployment)["volumeMounts"] if m["name"] == "temporal-tls"
        )
        assert mount["readOnly"] is True
        for variable in ("CA_CERT", "CLIENT_CERT", "CLIENT_KEY"):
            assert env[f"TEMPORAL_TLS_{variable}_PATH"].startswith(mount["mountPath"] + "/")


def test_every_deployment_has_a_disruption_budget(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    budgets = _of_kind(resources, "PodDisruptionBudget")
    for name, deployment in _of_kind(resources, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            b
            for b in budgets.values()
            if b["spec"]["selector"]["matchLabels"].items() <= labels.items()
        ]
        assert len(covering) == 1, name


def test_api_has_a_service_and_an_autoscaler(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = rendered
    api = _of_kind(resources, "Deployment")["api"]
    labels = api["spec"]["template"]["metadata"]["labels"]
    service = _of_kind(resources, "Service")["api"]
    assert service["spec"]["selector"].items() <= labels.items()
    port_names = {p["name"] for p in _container(api)["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])
    hpa = _of_kind(resources, "HorizontalPodAutoscaler")["api"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "api",
    }
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_workers_are_scraped_on_their_metrics_port(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    config = next(iter(_of_kind(resources, "ConfigMap").values()))["data"]
    for name, deployment in _of_kind(resources, "Deployment").items():
        if not is_worker(name):
            continue
        env = _env(deployment, config)
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == env["WORKER_METRICS_PORT"]
        assert annotations["prometheus.io/path"] == "/metrics"
        # A scraper in another pod reaches it only on a non-loopback address.
        assert env["WORKER_METRICS_HOST"] == "0.0.0.0", name


def test_the_api_is_scraped_on_its_own_port(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    api = _of_kind(resources, "Deployment")["api"]
    annotations = api["spec"]["template"]["metadata"]["annotations"]
    ports = {
        port["containerPort"]
        for container in api["spec"]["template"]["spec"]["containers"]
        for port in container.get("ports", [])
    }
    assert annotations["prometheus.io/scrape"] == "true"
    assert int(annotations["prometheus.io/port"]) in ports
    assert annotations["prometheus.io/path"] == "/metrics"


def _allows(policy: dict[str, Any], port: int) -> bool:
    return any(
        any(p.get("port") == port for p in rule.get("ports", []))
        for rule in policy["spec"].get("ingress", [])
    )


def test_network_policies_deny_by_default_and_open_the_served_ports(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = rendered
    policies = _of_kind(resources, "NetworkPolicy")
    deny = [
        p
        for p in policies.values()
        if set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert deny, "no default-deny policy"
    for name, deployment in _of_kind(resources, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        selecting = [
            p
            for p in policies.values()
            if p["spec"]["podSelector"]["matchLabels"].items() <= labels.items()
        ]
        assert any(p in selecting for p in deny), f"{name} is not under the default deny"
        for port in _container(deployment)["ports"]:
            assert any(_allows(p, port["containerPort"]) for p in selecting), (name, port)


def _scaled_objects(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return _of_kind(resources, "ScaledObject")


def test_each_worker_scales_on_its_task_queue_backlog(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, resources = rendered
    deployments = _of_kind(resources, "Deployment")
    config = next(iter(_of_kind(resources, "ConfigMap").values()))["data"]
    scaled = _scaled_objects(resources)
    workers = {name for name in deployments if is_worker(name)}
    targets = {s["spec"]["scaleTargetRef"]["name"]: s for s in scaled.values()}
    assert set(targets) == workers, "one ScaledObject per worker, none for the API"
    assert "api" in _of_kind(resources, "HorizontalPodAutoscaler")

    for name, scaled_object in targets.items():
        assert scaled_object["apiVersion"] == "keda.sh/v1alpha1"
        spec = scaled_object["spec"]
        assert set(spec) <= SCALED_OBJECT_SPEC, set(spec) - SCALED_OBJECT_SPEC
        assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], name
        (trigger,) = spec["triggers"]
        assert trigger["type"] == "temporal"
        metadata = trigger["metadata"]
        assert set(metadata) <= KEDA_TEMPORAL_METADATA, set(metadata) - KEDA_TEMPORAL_METADATA
        assert all(isinstance(v, str) for v in metadata.values()), "KEDA metadata are strings"
        owned = registry.package(name)
        assert owned is not None
        assert (metadata["taskQueue"],) == owned.queues
        assert set(metadata["queueTypes"].split(",")) <= KEDA_QUEUE_TYPES
        assert int(metadata["targetQueueSize"]) >= 1
        assert int(metadata["activationTargetQueueSize"]) >= 0
        env = _env(deployments[name], config)
        # The scaler reads the worker's own endpoint and namespace, never a second copy.
        assert ("endpoint" in metadata) != ("endpointFromEnv" in metadata)
        assert metadata.get("endpointFromEnv", "TEMPORAL_URL") == "TEMPORAL_URL"
        assert metadata.get("namespace", "default") == env.get("TEMPORAL_NAMESPACE", "default")
        if overlay == "dev":
            assert spec["minReplicaCount"] == 0, "dev scales idle workers to zero"


def test_scalers_authenticate_the_way_the_workers_do() -> None:
    resources = _render("prod")
    auths = _of_kind(resources, "TriggerAuthentication")
    for name, scaled_object in _scaled_objects(resources).items():
        (trigger,) = scaled_object["spec"]["triggers"]
        auth = auths[trigger["authenticationRef"]["name"]]
        assert auth["apiVersion"] == "keda.sh/v1alpha1"
        refs = {r["parameter"]: r for r in auth["spec"]["secretTargetRef"]}
        assert set(refs) <= KEDA_TEMPORAL_AUTH, set(refs) - KEDA_TEMPORAL_AUTH
        # KEDA refuses a certificate without its key (and the reverse).
        assert ("cert" in refs) == ("key" in refs)
        # The same Secret and keys the workers mount for TEMPORAL_TLS_*.
        deployment = _of_kind(resources, "Deployment")[name]
        env = {e["name"]: e.get("value", "") for e in _container(deployment)["env"]}
        files = {
            "ca": env["TEMPORAL_TLS_CA_CERT_PATH"],
            "cert": env["TEMPORAL_TLS_CLIENT_CERT_PATH"],
            "key": env["TEMPORAL_TLS_CLIENT_KEY_PATH"],
        }
        for parameter, path in files.items():
            assert refs[parameter]["name"] == "temporal-tls"
            assert Path(path).name == refs[parameter]["key"]
