"""The versioned Kubernetes release docs/deploying.md describes renders to what it promises.

The walkthrough's two YAML blocks (a release kustomization of ``worker-orders`` 1.1.0 and the
overlay changes) are applied to a copy of ``deploy/k8s`` for two builds side by side, rendered with
``kubectl kustomize`` and checked: one Deployment per build running its own image and build id,
builds' selectors apart, the overlay's TLS and scaler authentication reaching both, each scaler
targeting its own build's Deployment and backlog, and no unversioned worker-orders left.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import REPO
from tests.deploy.test_kubernetes import KEDA_TEMPORAL_METADATA

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed here"
)

DOC = (REPO / "docs" / "deploying.md").read_text()
BUILDS = ("1.0.0", "1.1.0")


def _walkthrough_blocks() -> tuple[str, dict[str, Any]]:
    section = DOC.split("## Rolling upgrades with worker versioning", 1)[1]
    kubernetes = section.split("### On Kubernetes", 1)[1]
    release, overlay = re.findall(r"```yaml\n(.*?)```", kubernetes, flags=re.DOTALL)[:2]
    return release, yaml.safe_load(overlay)


def _release_for(build: str, template: str) -> str:
    return template.replace("1-1-0", build.replace(".", "-")).replace("1.1.0", build)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, Any]]:
    k8s = tmp_path_factory.mktemp("deploy") / "k8s"
    shutil.copytree(REPO / "deploy" / "k8s", k8s)
    prod = k8s / "overlays" / "prod"
    release, overlay_changes = _walkthrough_blocks()
    for build in BUILDS:
        directory = prod / "releases" / f"worker-orders-{build.replace('.', '-')}"
        directory.mkdir(parents=True)
        (directory / "kustomization.yaml").write_text(_release_for(build, release))

    kustomization = yaml.safe_load((prod / "kustomization.yaml").read_text())
    kustomization["resources"] = overlay_changes["resources"]
    kustomization["images"] = [
        image
        for image in kustomization["images"]
        if image["name"] != "temporal-fastapi/worker-orders"
    ]
    kustomization["patches"] += overlay_changes["patches"]
    (prod / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))

    result = subprocess.run(
        ["kubectl", "kustomize", str(prod)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    documents = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in documents}


def _env(deployment: dict[str, Any]) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def test_the_walkthrough_shows_a_release_and_the_overlay_changes() -> None:
    release, overlay_changes = _walkthrough_blocks()
    assert "workerDeploymentBuildId" in release
    assert set(overlay_changes) == {"resources", "patches"}


def test_each_build_is_its_own_deployment_with_its_image_and_build_id(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert ("Deployment", "worker-orders") not in rendered, "the unversioned worker is replaced"
    selectors: list[dict[str, str]] = []
    for build in BUILDS:
        name = f"worker-orders-{build.replace('.', '-')}"
        deployment = rendered["Deployment", name]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"temporal-fastapi/worker-orders:{build}"
        env = _env(deployment)
        assert env["TEMPORAL_WORKER_BUILD_ID"] == build
        assert env["TEMPORAL_TLS_ENABLED"] == "true", "the overlay's patches reach the release"
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector["app.kubernetes.io/version"] == build
        assert rendered["PodDisruptionBudget", name]["spec"]["selector"]["matchLabels"] == selector
        selectors.append(selector)
    assert selectors[0] != selectors[1]
    # The other workers are untouched by worker-orders' releases.
    assert ("Deployment", "worker-approvals") in rendered


def test_each_build_scales_on_its_own_version_backlog(
    rendered: dict[tuple[str, str], dict[str, Any]],
) -> None:
    assert ("ScaledObject", "worker-orders") not in rendered
    for build in BUILDS:
        name = f"worker-orders-{build.replace('.', '-')}"
        spec = rendered["ScaledObject", name]["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        (trigger,) = spec["triggers"]
        metadata = trigger["metadata"]
        assert set(metadata) <= KEDA_TEMPORAL_METADATA, set(metadata) - KEDA_TEMPORAL_METADATA
        # The Worker Deployment the worker registers with by default: its package's name.
        assert metadata["workerDeploymentName"] == "worker-orders"
        assert metadata["workerDeploymentBuildId"] == build
        assert metadata["taskQueue"] == "orders"
        assert trigger["authenticationRef"]["name"] == "temporal"
