"""Worker Deployment calls the versioning tests share: wait, make a version current, describe it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.api.deployment.v1 import WorkerDeploymentVersion
from temporalio.api.enums.v1 import RoutingConfigUpdateState
from temporalio.api.workflowservice.v1 import (
    DescribeWorkerDeploymentRequest,
    DescribeWorkerDeploymentVersionRequest,
    DescribeWorkerDeploymentVersionResponse,
    SetWorkerDeploymentCurrentVersionRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError

T = TypeVar("T")

DEADLINE_SECONDS = 15.0
_ROUTING_COMPLETED = RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED


async def eventually(attempt: Callable[[], Awaitable[T]]) -> T:
    """``attempt()``'s result once it stops raising ``RPCError`` or ``AssertionError``."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + DEADLINE_SECONDS
    while True:
        try:
            return await attempt()
        except (RPCError, AssertionError):
            if loop.time() > give_up:
                raise
        await asyncio.sleep(0.2)


async def make_current(client: Client, deployment: str, build_id: str) -> None:
    """``temporal worker deployment set-current-version``, and wait until the queues know it.

    The server learns of a version from its workers' polls, so the call fails until they arrive.
    It then passes the new routing to the task queues in the background: until that is done, a
    task may still be dispatched by the old routing, so this waits for it as well.
    """
    request = SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace, deployment_name=deployment, build_id=build_id
    )
    service = client.workflow_service
    await eventually(lambda: service.set_worker_deployment_current_version(request))

    async def routed_everywhere() -> None:
        described = await service.describe_worker_deployment(
            DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=deployment)
        )
        info = described.worker_deployment_info
        assert info.routing_config.current_deployment_version.build_id == build_id
        assert info.routing_config_update_state == _ROUTING_COMPLETED

    await eventually(routed_everywhere)


async def polled_task_queues(client: Client, deployment: str, build_id: str) -> set[str]:
    """The task queues the server has seen workers of this version poll."""
    described: DescribeWorkerDeploymentVersionResponse = (
        await client.workflow_service.describe_worker_deployment_version(
            DescribeWorkerDeploymentVersionRequest(
                namespace=client.namespace,
                deployment_version=WorkerDeploymentVersion(
                    deployment_name=deployment, build_id=build_id
                ),
            )
        )
    )
    return {queue.name for queue in described.worker_deployment_version_info.task_queue_infos}
