"""``create_schedule`` on BaseWorkflow and WorkflowContract, against a real dev server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from temporal_core import WorkflowContract, WorkflowState, build_worker
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleHandle,
    ScheduleOverlapPolicy,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from tests.core.sample_workflows import QUEUE, GreetingWorkflow, GreetInput, GreetOutput

GREETING = WorkflowContract(
    name="CoreTestGreeting",
    queue=QUEUE,
    input_type=GreetInput,
    result_type=GreetOutput,
    state_type=WorkflowState,
)


@pytest.fixture
async def client(temporal_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Client]:
    async with build_worker(temporal_env.client, QUEUE, task_queue=task_queue):
        yield temporal_env.client


def new_schedule_id() -> str:
    return f"greet-schedule-{uuid.uuid4().hex[:10]}"


async def started_workflow_ids(handle: ScheduleHandle, at_least: int) -> list[str]:
    """The ids of the runs the schedule started, once it has started ``at_least`` of them."""
    async with asyncio.timeout(20):
        while True:
            description = await handle.describe()
            ids = [
                action.action.workflow_id
                for action in description.info.recent_actions
                if isinstance(action.action, ScheduleActionExecutionStartWorkflow)
            ]
            if len(ids) >= at_least:
                return ids
            await asyncio.sleep(0.2)


async def test_base_workflow_schedule_starts_typed_runs_on_its_interval(
    client: Client, task_queue: str
) -> None:
    schedule_id = new_schedule_id()
    prefix = f"greet-every-second-{uuid.uuid4().hex[:6]}"
    handle = await GreetingWorkflow.create_schedule(
        client,
        input=GreetInput(name="Ada"),
        schedule_id=schedule_id,
        intervals=[timedelta(seconds=1)],
        overlap=ScheduleOverlapPolicy.ALLOW_ALL,
        workflow_id_prefix=prefix,
        task_queue=task_queue,
        execution_timeout=timedelta(minutes=1),
    )
    try:
        assert handle.id == schedule_id
        workflow_ids = await started_workflow_ids(handle, at_least=2)
        for workflow_id in workflow_ids:
            assert workflow_id.startswith(f"{prefix}-")
            result = await GreetingWorkflow.get_handle(client, workflow_id).result()
            assert isinstance(result, GreetOutput)
            assert result.greeting == "Hello, Ada"

        description = await handle.describe()
        assert description.schedule.policy.overlap == ScheduleOverlapPolicy.ALLOW_ALL
        assert [spec.every for spec in description.schedule.spec.intervals] == [
            timedelta(seconds=1)
        ]
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "CoreTestGreeting"
        assert action.task_queue == task_queue
        assert action.execution_timeout == timedelta(minutes=1)
    finally:
        await handle.delete()


async def test_contract_schedule_keeps_cron_zone_pause_note_and_can_be_triggered(
    client: Client, task_queue: str
) -> None:
    schedule_id = new_schedule_id()
    handle = await GREETING.create_schedule(
        client,
        GreetInput(name="Bo"),
        schedule_id=schedule_id,
        cron_expressions=["0 3 * * *"],
        time_zone="Europe/Paris",
        paused=True,
        note="waiting for the new template",
        task_queue=task_queue,
        schedule_memo={"cron_expression": "0 3 * * *"},
    )
    try:
        description: ScheduleDescription = await handle.describe()
        assert description.schedule.state.paused is True
        assert description.schedule.state.note == "waiting for the new template"
        assert description.schedule.spec.time_zone_name == "Europe/Paris"
        assert description.schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
        assert await description.memo_value("cron_expression") == "0 3 * * *"
        # 03:00 in Paris, whatever UTC offset the date has.
        for next_time in description.info.next_action_times[:3]:
            local = next_time.astimezone(ZoneInfo("Europe/Paris"))
            assert (local.hour, local.minute) == (3, 0)
        assert description.info.num_actions == 0
        # The prefix defaults to the schedule id.
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.id == schedule_id

        # Paused stops the calendar, not an explicit trigger.
        await handle.trigger()
        (workflow_id,) = await started_workflow_ids(handle, at_least=1)
        assert workflow_id.startswith(f"{schedule_id}-")
        result = await GREETING.result(client, workflow_id)
        assert result.greeting == "Hello, Bo"
    finally:
        await handle.delete()
    with pytest.raises(RPCError) as missing:
        await handle.describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_a_taken_schedule_id_and_a_schedule_that_never_fires_are_refused(
    client: Client, task_queue: str
) -> None:
    schedule_id = new_schedule_id()
    handle = await GreetingWorkflow.create_schedule(
        client,
        input=GreetInput(name="Cy"),
        schedule_id=schedule_id,
        cron_expressions=["0 0 1 1 *"],
        paused=True,
        task_queue=task_queue,
    )
    try:
        with pytest.raises(ScheduleAlreadyRunningError):
            await GREETING.create_schedule(
                client, GreetInput(name="Cy"), schedule_id=schedule_id, cron_expressions=["@daily"]
            )
    finally:
        await handle.delete()

    with pytest.raises(ValueError, match="at least one cron expression or interval"):
        await GreetingWorkflow.create_schedule(
            client, input=GreetInput(name="Cy"), schedule_id=new_schedule_id()
        )
    with pytest.raises(ValueError, match="must be positive"):
        await GREETING.create_schedule(
            client, GreetInput(name="Cy"), schedule_id=new_schedule_id(), intervals=[timedelta(0)]
        )


async def test_contract_schedule_refuses_another_input_model(client: Client) -> None:
    class Other(BaseModel):
        name: str

    with pytest.raises(TypeError, match="CoreTestGreeting takes GreetInput, got Other"):
        await GREETING.create_schedule(
            client,
            Other(name="x"),  # type: ignore[arg-type]
            schedule_id=new_schedule_id(),
            intervals=[timedelta(hours=1)],
        )
