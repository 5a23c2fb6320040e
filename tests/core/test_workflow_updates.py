"""BaseWorkflow's typed update helpers against a real dev server, checked in the history."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporal_core import build_worker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from tests.core.sample_workflows import QUEUE, GreetingWorkflow, GreetInput, Guest, GuestList


@pytest.fixture
async def client(temporal_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Client]:
    async with build_worker(temporal_env.client, QUEUE, task_queue=task_queue):
        yield temporal_env.client


def new_id() -> str:
    return f"party-{uuid.uuid4().hex[:10]}"


async def accepted_updates(client: Client, workflow_id: str) -> int:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(event.event_type == accepted for event in history.events)


async def start_waiting(client: Client, task_queue: str) -> str:
    workflow_id = new_id()
    await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="host", wait_for_cancel=True),
        id=workflow_id,
        task_queue=task_queue,
    )
    return workflow_id


async def test_execute_update_returns_the_typed_result_and_a_rejection_leaves_no_trace(
    client: Client, task_queue: str
) -> None:
    workflow_id = await start_waiting(client, task_queue)

    answer = await GreetingWorkflow.execute_update(
        client, workflow_id, GreetingWorkflow.invite, Guest(name="Ada")
    )
    assert isinstance(answer, GuestList)
    assert answer.guests == ["Ada"]

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await GreetingWorkflow.execute_update(
            client, workflow_id, GreetingWorkflow.invite, Guest(name="Ada")
        )
    assert isinstance(refused.value.cause, ApplicationError)
    assert "Ada is invited already" in refused.value.cause.message
    # The validator answered synchronously: only the accepted update is in the history.
    assert await accepted_updates(client, workflow_id) == 1
    await GreetingWorkflow.get_handle(client, workflow_id).terminate("test over")


async def test_start_update_returns_a_handle_to_await_later(
    client: Client, task_queue: str
) -> None:
    workflow_id = await start_waiting(client, task_queue)
    update = await GreetingWorkflow.start_update(
        client, workflow_id, GreetingWorkflow.invite, Guest(name="Bo")
    )
    assert (await update.result()).guests == ["Bo"]

    # A rejected update is settled when start_update returns: its handle raises at once.
    refused = await GreetingWorkflow.start_update(
        client,
        workflow_id,
        GreetingWorkflow.invite,
        Guest(name="Bo"),
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    with pytest.raises(WorkflowUpdateFailedError):
        await refused.result()
    assert await accepted_updates(client, workflow_id) == 1
    await GreetingWorkflow.get_handle(client, workflow_id).terminate("test over")


async def test_update_with_start_starts_once_then_updates_the_running_workflow(
    client: Client, task_queue: str
) -> None:
    workflow_id = new_id()
    first = await GreetingWorkflow.update_with_start(
        client,
        input=GreetInput(name="host", wait_for_cancel=True),
        id=workflow_id,
        update=GreetingWorkflow.invite,
        arg=Guest(name="Cy"),
        task_queue=task_queue,
    )
    assert isinstance(first, GuestList)
    assert first.guests == ["Cy"]
    first_run = (await GreetingWorkflow.get_handle(client, workflow_id).describe()).run_id

    handle = await GreetingWorkflow.start_update_with_start(
        client,
        input=GreetInput(name="ignored: the workflow runs already", wait_for_cancel=True),
        id=workflow_id,
        update=GreetingWorkflow.invite,
        arg=Guest(name="Di"),
        task_queue=task_queue,
    )
    assert (await handle.result()).guests == ["Cy", "Di"]
    assert (await GreetingWorkflow.get_handle(client, workflow_id).describe()).run_id == first_run

    # One run took both updates: its history holds the start and two accepted updates.
    assert await accepted_updates(client, workflow_id) == 2
    workflow = GreetingWorkflow.get_handle(client, workflow_id)
    await workflow.signal(GreetingWorkflow.cancel)
    assert (await workflow.result()).greeting == "Hello, host"


async def test_update_with_start_needs_a_conflict_policy(client: Client) -> None:
    with pytest.raises(ValueError, match="needs an id_conflict_policy"):
        await GreetingWorkflow.update_with_start(
            client,
            input=GreetInput(name="x"),
            id=new_id(),
            update=GreetingWorkflow.invite,
            arg=Guest(name="x"),
            id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED,
        )


def test_update_helpers_are_typed_for_pyright() -> None:
    sample = Path(__file__).with_name("update_typing.py")
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "pyright"), str(sample), "--outputjson"],
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    diagnostics = json.loads(completed.stdout)["generalDiagnostics"]
    revealed = [d["message"] for d in diagnostics if d["severity"] == "information"]
    assert revealed == [
        'Type of "executed" is "GuestList"',
        'Type of "started" is "WorkflowUpdateHandle[GuestList]"',
        'Type of "with_start" is "GuestList"',
        'Type of "started_with_start" is "WorkflowUpdateHandle[GuestList]"',
    ]
    errors = [d for d in diagnostics if d["severity"] == "error"]
    # Exactly the deliberate mistake: a str where the update takes a Guest.
    assert len(errors) == 1, errors
    assert '"Literal[\'Ed\']" is not assignable to "Guest"' in errors[0]["message"]
