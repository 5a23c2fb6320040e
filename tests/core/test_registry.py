"""The queue registry: decorators in either order, entry-point discovery and its errors."""

from __future__ import annotations

import importlib
import textwrap
import uuid
from pathlib import Path

import pytest
from temporal_core import RegistryError, registry
from temporal_core.authoring.registry import Registry

from tests.core import registry_samples as samples


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def install_fake_distribution(
    root: Path, monkeypatch: pytest.MonkeyPatch, *, dist: str, queue: str, module_source: str
) -> str:
    """Write a real installed distribution (dist-info with entry points) onto sys.path."""
    module = f"fake_{uuid.uuid4().hex[:8]}"
    (root / f"{module}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[temporal_core.workers]\n{queue} = {module}\n")
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return module


def test_decorators_stack_in_either_order() -> None:
    contents = registry.contents(samples.EITHER_ORDER_QUEUE)
    assert set(contents.workflows) == {samples.Over, samples.Under}
    assert set(contents.activities) == {samples.act_over, samples.act_under}
    assert samples.Over.task_queue() == samples.EITHER_ORDER_QUEUE
    assert samples.Over.input_type is str
    assert samples.Over.return_type is str


def test_unknown_queue_lists_the_known_ones() -> None:
    with pytest.raises(RegistryError, match=r"unknown queue 'nope'; known queues: "):
        registry.contents("nope")


def test_one_workflow_on_two_queues_is_refused() -> None:
    fresh = Registry()
    fresh.add_workflow(samples.First, "a")
    fresh.add_workflow(samples.First, "a")  # the same binding again (a module reload) is fine
    with pytest.raises(RegistryError, match=r"registered on queue 'a' and cannot also run on 'b'"):
        fresh.add_workflow(samples.First, "b")


def test_one_activity_on_two_queues_is_refused() -> None:
    fresh = Registry()
    fresh.add_activity(samples.plain_activity, "a")
    with pytest.raises(RegistryError, match="cannot also run on 'b'"):
        fresh.add_activity(samples.plain_activity, "b")


def test_a_workflow_name_registered_twice_is_refused() -> None:
    fresh = Registry()
    fresh.add_workflow(samples.First, "q")
    with pytest.raises(RegistryError, match="workflow name 'RegistryTestSame' is registered twice"):
        fresh.add_workflow(samples.Second, "q")


def test_a_queue_entry_without_sdk_decorator_is_reported_when_used() -> None:
    fresh = Registry()
    fresh.add_workflow(samples.Undecorated, "q")  # could still get @workflow.defn above it
    with pytest.raises(RegistryError, match=r"lacks @workflow\.defn"):
        fresh.contents("q")


def test_discovery_through_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = unique("discovered")
    install_fake_distribution(
        tmp_path,
        monkeypatch,
        dist="fake-worker-pkg",
        queue=queue,
        module_source=f"""
            from temporalio import activity
            from temporal_core import activity_defn

            @activity_defn(queue={queue!r})
            @activity.defn(name={unique("discovered_act")!r})
            async def discovered() -> None: ...
        """,
    )
    packages = registry.discover(refresh=True)
    found = {package.distribution: package.queues for package in packages}
    assert found["fake-worker-pkg"] == (queue,)
    assert registry.package("fake_worker_pkg") is not None  # - and _ are the same name
    # The real worker packages of this workspace announce themselves the same way.
    assert {"worker-orders", "worker-approvals", "worker-reports"} <= set(found)
    assert registry.contents(queue).activities


def test_entry_point_that_registers_nothing_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = unique("empty")
    install_fake_distribution(
        tmp_path, monkeypatch, dist="fake-empty", queue=queue, module_source="X = 1\n"
    )
    with pytest.raises(RegistryError, match=f"registered nothing on queue '{queue}'"):
        registry.discover(refresh=True)


def test_entry_point_that_fails_to_import_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = unique("broken")
    install_fake_distribution(
        tmp_path,
        monkeypatch,
        dist="fake-broken",
        queue=queue,
        module_source="raise ImportError('missing dependency: reportlab')\n",
    )
    with pytest.raises(RegistryError, match="failed to import: missing dependency: reportlab"):
        registry.discover(refresh=True)
