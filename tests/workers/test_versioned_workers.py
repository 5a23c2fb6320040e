"""Each worker service registers with its own Worker Deployment once a build id is set."""

from __future__ import annotations

import uuid

import pytest
from temporal_core import build_worker, registry
from temporalio.testing import WorkflowEnvironment

from tests.deployment_versions import eventually, polled_task_queues


@pytest.mark.parametrize(
    ("queue", "deployment"),
    [("orders", "worker-orders"), ("approvals", "worker-approvals"), ("reports", "worker-reports")],
)
async def test_a_product_worker_registers_as_its_package_deployment_when_a_build_id_is_set(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
    queue: str,
    deployment: str,
) -> None:
    build_id = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("TEMPORAL_WORKER_BUILD_ID", build_id)
    client = temporal_env.client

    registry.discover()  # as `serve` does: imports the worker packages, which register queues

    # Every workflow on the queue declares its versioning behaviour, or this would refuse to start.
    async with build_worker(client, queue, task_queue=task_queue):

        async def polled_by_this_build() -> None:
            assert task_queue in await polled_task_queues(client, deployment, build_id)

        await eventually(polled_by_this_build)
