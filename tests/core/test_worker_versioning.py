"""Worker versioning on a real dev server: a rolling upgrade from build A to build B.

Workers built by ``build_worker`` with ``TEMPORAL_WORKER_BUILD_ID`` register as versions of a
Temporal Worker Deployment; making B current sends new runs to B, keeps a PINNED run on A for its
whole life and moves an AUTO_UPGRADE run to B at its next task (docs/deploying.md).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporal_core import TemporalSettings, build_worker
from temporal_core.worker.versioning import VersioningError, deployment_config
from temporalio.api.deployment.v1 import WorkerDeploymentVersion
from temporalio.api.enums.v1 import EventType, VersioningBehavior
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.core.versioned_workflows import QUEUE, AutoUpgradingTwoHalves, PinnedTwoHalves
from tests.deployment_versions import eventually, make_current


async def _when_first_half_done(handle: WorkflowHandle[Any, list[str]]) -> None:
    async def first_half_done() -> None:
        assert await handle.query("halves_done") == 1

    await eventually(first_half_done)


async def _identities_of(handle: WorkflowHandle[Any, Any]) -> set[str]:
    """Identities of the workers that picked up the run's workflow and activity tasks."""
    started = {
        EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: "workflow_task_started_event_attributes",
        EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: "activity_task_started_event_attributes",
    }
    identities: set[str] = set()
    async for event in handle.fetch_history_events():
        if event.event_type in started:
            identities.add(getattr(event, started[event.event_type]).identity)
    return identities


async def test_a_pinned_run_stays_on_its_build_while_new_runs_go_to_the_current_one(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = temporal_env.client
    deployment = f"sample-{uuid.uuid4().hex[:8]}"

    def settings(build_id: str) -> TemporalSettings:
        identity = f"build-{build_id}"
        return TemporalSettings(
            worker_build_id=build_id, worker_deployment_name=deployment, identity=identity
        )

    async with build_worker(client, QUEUE, settings=settings("a"), task_queue=task_queue):
        await make_current(client, deployment, "a")
        pinned = await client.start_workflow(
            PinnedTwoHalves.run, id=f"pinned-{uuid.uuid4()}", task_queue=task_queue
        )
        upgrading = await client.start_workflow(
            AutoUpgradingTwoHalves.run, id=f"upgrading-{uuid.uuid4()}", task_queue=task_queue
        )
        await _when_first_half_done(pinned)
        await _when_first_half_done(upgrading)

        async with build_worker(client, QUEUE, settings=settings("b"), task_queue=task_queue):
            await make_current(client, deployment, "b")
            fresh = await client.start_workflow(
                PinnedTwoHalves.run, id=f"fresh-{uuid.uuid4()}", task_queue=task_queue
            )
            for handle in (pinned, upgrading, fresh):
                await handle.signal("proceed")

            assert await pinned.result() == ["a", "a"]
            assert await _identities_of(pinned) == {"build-a"}
            assert await upgrading.result() == ["a", "b"]
            assert await fresh.result() == ["b", "b"]
            assert await _identities_of(fresh) == {"build-b"}

    # What `temporal workflow describe` shows: the run was pinned to build A all along.
    versioning = (await pinned.describe()).raw_description.workflow_execution_info.versioning_info
    assert versioning.behavior == VersioningBehavior.VERSIONING_BEHAVIOR_PINNED
    build_a = WorkerDeploymentVersion(deployment_name=deployment, build_id="a")
    assert versioning.deployment_version == build_a


async def test_an_unversioned_worker_runs_workflows_that_declare_a_behaviour(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    # The server refuses a declared behaviour from an unversioned worker; build_worker leaves it
    # out there, so local development runs the same workflow classes unversioned.
    client = temporal_env.client
    async with build_worker(client, QUEUE, settings=TemporalSettings(), task_queue=task_queue):
        handle = await client.start_workflow(
            PinnedTwoHalves.run, id=f"unversioned-{uuid.uuid4()}", task_queue=task_queue
        )
        await _when_first_half_done(handle)
        await handle.signal("proceed")
        assert await handle.result() == ["unversioned", "unversioned"]


def test_without_a_build_id_a_worker_is_unversioned() -> None:
    assert deployment_config(TemporalSettings(), "orders") is None


def test_the_deployment_name_setting_wins_over_the_package_name() -> None:
    settings = TemporalSettings(worker_build_id="b7", worker_deployment_name="orders-eu")
    config = deployment_config(settings, "orders")
    assert config is not None
    assert (config.version.deployment_name, config.version.build_id) == ("orders-eu", "b7")
    assert config.use_worker_versioning


def test_a_queue_outside_the_worker_packages_needs_a_deployment_name() -> None:
    with pytest.raises(VersioningError, match="TEMPORAL_WORKER_DEPLOYMENT_NAME"):
        deployment_config(TemporalSettings(worker_build_id="a"), QUEUE)
