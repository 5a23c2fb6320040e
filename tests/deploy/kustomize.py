"""Rendering the Kubernetes overlays offline, as ``kubectl kustomize`` does, for the tests.

CI has neither kustomize nor network, so this implements the part of kustomize that
``deploy/k8s`` uses, and refuses anything else (a new field in a kustomization fails the tests
instead of being silently ignored): ``resources`` (files and directories holding a
kustomization), ``namespace``, ``images`` (``newName``/``newTag``/``digest``) and ``patches``
given as JSON 6902 operations (``add``, ``replace``, ``remove``), inline or from a file, with a
target of ``kind``, ``name`` and an equality ``labelSelector``. Where ``kubectl`` is installed a
test renders with it too and compares.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

_SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
# Cluster-scoped kinds keep no namespace; none is used here yet, the set says which would.
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


def render(directory: Path) -> list[Resource]:
    """Every resource the kustomization in ``directory`` produces, in resource order."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - _SUPPORTED
    assert not unknown, f"{directory}: kustomization fields this renderer lacks: {unknown}"
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            resources += render(path)
        else:
            resources += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    for patch in kustomization.get("patches", []):
        _apply_patch(directory, patch, resources)
    for image in kustomization.get("images", []):
        _set_image(image, resources)
    namespace = kustomization.get("namespace")
    if namespace:
        for resource in resources:
            if resource["kind"] not in _CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = namespace
    return resources


def _matches(target: dict[str, Any], resource: Resource) -> bool:
    unknown = set(target) - {"kind", "name", "labelSelector"}
    assert not unknown, f"patch target fields this renderer lacks: {unknown}"
    metadata = resource.get("metadata", {})
    if "kind" in target and resource["kind"] != target["kind"]:
        return False
    if "name" in target and metadata.get("name") != target["name"]:
        return False
    if "labelSelector" in target:
        labels = metadata.get("labels", {})
        for requirement in str(target["labelSelector"]).split(","):
            key, _, value = requirement.partition("=")
            assert value, f"only key=value selectors: {requirement}"
            assert "!" not in key, f"only key=value selectors: {requirement}"
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def _apply_patch(directory: Path, patch: dict[str, Any], resources: list[Resource]) -> None:
    unknown = set(patch) - {"path", "patch", "target"}
    assert not unknown, f"patch fields this renderer lacks: {unknown}"
    text = (directory / patch["path"]).read_text() if "path" in patch else patch["patch"]
    operations = yaml.safe_load(text)
    assert isinstance(operations, list), "only JSON 6902 patches (a list of operations)"
    targets = [r for r in resources if _matches(patch.get("target", {}), r)]
    assert targets, f"patch {patch} matches no resource"
    for resource in targets:
        for operation in operations:
            _apply_operation(resource, operation)


def _apply_operation(document: Resource, operation: dict[str, Any]) -> None:
    op, path = operation["op"], operation["path"]
    assert op in {"add", "replace", "remove"}, f"JSON patch op {op} not supported"
    keys = [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]
    parent: Any = document
    for key in keys[:-1]:
        parent = parent[int(key)] if isinstance(parent, list) else parent[key]
    last = keys[-1]
    value = copy.deepcopy(operation.get("value"))
    if isinstance(parent, list):
        if op == "add":
            parent.insert(len(parent) if last == "-" else int(last), value)
        elif op == "replace":
            parent[int(last)] = value
        else:
            del parent[int(last)]
        return
    if op == "replace" or op == "remove":
        assert last in parent, f"{path}: nothing to {op}"
    if op == "remove":
        del parent[last]
    else:
        parent[last] = value


def _set_image(image: dict[str, Any], resources: list[Resource]) -> None:
    for resource in resources:
        spec = resource.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            name, tag = _split_image(container["image"])
            if name != image["name"]:
                continue
            name = image.get("newName", name)
            if "digest" in image:
                container["image"] = f"{name}@{image['digest']}"
            else:
                new_tag = image.get("newTag", tag)
                container["image"] = f"{name}:{new_tag}" if new_tag else name


def _split_image(reference: str) -> tuple[str, str | None]:
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = reference.rsplit(":", 1)
        return name, tag
    return reference, None
