"""BaseWorkflow's typed helpers against a real dev server, checked through the server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporal_core import CancelRequest, TemporalSettings, build_worker, was_started
from temporal_core.client.start_defaults import StartDefaultsInterceptor
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    RetryPolicy,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.testing import WorkflowEnvironment

from tests.core.sample_workflows import QUEUE, GreetingWorkflow, GreetInput, GreetOutput


@pytest.fixture
async def client(temporal_env: WorkflowEnvironment, task_queue: str) -> AsyncIterator[Client]:
    settings = TemporalSettings(
        activity_start_to_close_timeout=timedelta(seconds=42),
        queues={"core-test": {"activity_retry": {"maximum_attempts": 3}}},  # type: ignore[dict-item]
    )
    async with build_worker(temporal_env.client, QUEUE, settings=settings, task_queue=task_queue):
        yield temporal_env.client


def new_id() -> str:
    return f"greet-{uuid.uuid4().hex[:10]}"


async def test_execute_returns_the_declared_model_with_configured_activity_defaults(
    client: Client, task_queue: str
) -> None:
    result = await GreetingWorkflow.execute_workflow(
        client, input=GreetInput(name="Ada"), id=new_id(), task_queue=task_queue
    )
    assert isinstance(result, GreetOutput)
    assert result.greeting == "Hello, Ada"
    # Global start-to-close from settings, retry from the queue's override.
    assert result.activity_start_to_close_seconds == 42
    assert result.activity_max_attempts == 3


async def test_state_query_and_cancel_signal_with_reason(client: Client, task_queue: str) -> None:
    handle: WorkflowHandle[GreetingWorkflow, GreetOutput] = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Bo", wait_for_cancel=True),
        id=new_id(),
        task_queue=task_queue,
    )
    for _ in range(100):
        state = await handle.query(GreetingWorkflow.state)
        if state["step"] == "waiting":
            break
        await asyncio.sleep(0.05)
    assert state == {
        "status": "running",
        "step": "waiting",
        "progress": 50,
        "cancel_requested": False,
        "cancel_reason": None,
    }
    await handle.signal(GreetingWorkflow.cancel, CancelRequest(reason="changed my mind"))
    result = await handle.result()
    assert result.cancelled_because == "changed my mind"
    final = await GreetingWorkflow.get_handle(client, handle.id).query(GreetingWorkflow.state)
    assert final["status"] == "completed"
    assert final["cancel_requested"] is True


async def test_bare_cancel_signal_as_the_guide_sends_it(client: Client, task_queue: str) -> None:
    handle = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Cy", wait_for_cancel=True),
        id=new_id(),
        task_queue=task_queue,
    )
    await handle.signal(GreetingWorkflow.cancel)
    assert (await handle.result()).cancelled_because is None


async def test_duplicate_id_raises_workflow_already_started(
    client: Client, task_queue: str
) -> None:
    workflow_id = new_id()
    handle = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Di", wait_for_cancel=True),
        id=workflow_id,
        task_queue=task_queue,
    )
    assert was_started(handle) is True
    with pytest.raises(WorkflowAlreadyStartedError):
        await GreetingWorkflow.start_workflow(
            client, input=GreetInput(name="Di"), id=workflow_id, task_queue=task_queue
        )
    existing = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Di"),
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    assert was_started(existing) is False
    assert existing.result_run_id == handle.result_run_id
    await handle.signal(GreetingWorkflow.cancel)
    await handle.result()


def test_was_started_refuses_a_handle_no_start_returned(temporal_env: WorkflowEnvironment) -> None:
    handle = GreetingWorkflow.get_handle(temporal_env.client, "any-id")
    with pytest.raises(ValueError, match="handle a start call returned"):
        was_started(handle)


def test_was_started_fails_loudly_when_the_sdk_drops_its_start_response(
    temporal_env: WorkflowEnvironment,
) -> None:
    handle = GreetingWorkflow.get_handle(temporal_env.client, "any-id")
    # What an SDK upgrade that renamed the private attribute would look like.
    del handle._start_workflow_response  # pyright: ignore[reportPrivateUsage]
    with pytest.raises(RuntimeError, match="keeps no _start_workflow_response"):
        was_started(handle)


async def test_guide_style_memo_and_search_attributes_arrive_on_the_server(
    client: Client, task_queue: str
) -> None:
    handle = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Ed"),
        id=new_id(),
        task_queue=task_queue,
        memo={"customer_email": "ed@example.com", "order_amount": 12.5},
        search_attributes={"CustomKeywordField": ["ed@example.com"], "CustomIntField": [12]},
    )
    await handle.result()
    description = await handle.describe()
    assert await description.memo() == {"customer_email": "ed@example.com", "order_amount": 12.5}
    attributes = description.typed_search_attributes
    assert attributes.get(SearchAttributeKey.for_keyword("CustomKeywordField")) == "ed@example.com"
    assert attributes.get(SearchAttributeKey.for_int("CustomIntField")) == 12


async def test_sdk_typed_search_attributes_pass_through(client: Client, task_queue: str) -> None:
    key = SearchAttributeKey.for_int("CustomIntField")
    handle = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Fa"),
        id=new_id(),
        task_queue=task_queue,
        search_attributes=TypedSearchAttributes([SearchAttributePair(key, 99)]),
    )
    await handle.result()
    assert (await handle.describe()).typed_search_attributes.get(key) == 99


async def test_per_call_timeouts_and_retry_policy_reach_the_server(
    client: Client, task_queue: str
) -> None:
    handle = await GreetingWorkflow.start_workflow(
        client,
        input=GreetInput(name="Gu"),
        id=new_id(),
        task_queue=task_queue,
        execution_timeout=timedelta(minutes=30),
        run_timeout=timedelta(minutes=15),
        retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(seconds=1)),
    )
    await handle.result()
    config = (await handle.describe()).raw_description.execution_config
    assert config.workflow_execution_timeout.ToTimedelta() == timedelta(minutes=30)
    assert config.workflow_run_timeout.ToTimedelta() == timedelta(minutes=15)


async def test_configured_workflow_defaults_apply_when_a_call_sets_none(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    settings = TemporalSettings(workflow_execution_timeout=timedelta(hours=2))
    client = await Client.connect(
        temporal_env.client.service_client.config.target_host,
        data_converter=temporal_env.client.data_converter,
        interceptors=[StartDefaultsInterceptor(settings)],
    )
    handle = await GreetingWorkflow.start_workflow(
        client, input=GreetInput(name="Ha"), id=new_id(), task_queue=task_queue
    )
    config = (await handle.describe()).raw_description.execution_config
    assert config.workflow_execution_timeout.ToTimedelta() == timedelta(hours=2)
    await handle.terminate()


async def test_schedule_workflow_delays_the_first_task(client: Client, task_queue: str) -> None:
    handle = await GreetingWorkflow.schedule_workflow(
        client,
        input=GreetInput(name="Io"),
        id=new_id(),
        task_queue=task_queue,
        start_delay=timedelta(minutes=10),
    )
    info = (await handle.describe()).raw_description.workflow_execution_info
    delay = info.execution_time.ToDatetime() - info.start_time.ToDatetime()
    assert delay >= timedelta(minutes=9, seconds=59)
    assert (await handle.describe()).status is not None
    await handle.terminate()
    with pytest.raises(ValueError, match="start_delay must be positive"):
        await GreetingWorkflow.schedule_workflow(
            client, input=GreetInput(name="Io"), id=new_id(), start_delay=timedelta(0)
        )
