"""Workflows and activities for the registry tests (the SDK refuses local workflow classes)."""

from __future__ import annotations

from temporal_core import BaseWorkflow, activity_defn, workflow_defn
from temporalio import activity, workflow

EITHER_ORDER_QUEUE = "registry-test-either-order"


@workflow_defn(queue=EITHER_ORDER_QUEUE)
@workflow.defn(name="RegistryTestOver")
class Over(BaseWorkflow[str, str]):
    @workflow.run
    async def run(self, input: str) -> str:
        return input


@workflow.defn(name="RegistryTestUnder")
@workflow_defn(queue=EITHER_ORDER_QUEUE)
class Under(BaseWorkflow[str, str]):
    @workflow.run
    async def run(self, input: str) -> str:
        return input


@activity_defn(queue=EITHER_ORDER_QUEUE)
@activity.defn(name="registry_test_over")
async def act_over() -> None: ...


@activity.defn(name="registry_test_under")
@activity_defn(queue=EITHER_ORDER_QUEUE)
async def act_under() -> None: ...


# Plain SDK definitions that tests bind to queues of a fresh Registry by hand.
@workflow.defn(name="RegistryTestSame")
class First:
    @workflow.run
    async def run(self) -> None: ...


@workflow.defn(name="RegistryTestSame")
class Second:
    @workflow.run
    async def run(self) -> None: ...


@activity.defn(name="registry_test_plain")
async def plain_activity() -> None: ...


class Undecorated:
    """Registered with a queue but never given @workflow.defn."""
