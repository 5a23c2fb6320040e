"""OrderWorkflow's ``request_cancellation`` update on the real dev server: accepted or refused."""

from __future__ import annotations

import pytest
from contracts.orders import ORDER_NOT_CANCELLABLE, CancellationAccepted
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from worker_orders.workflows import OrderWorkflow

from tests.workers.held_step import HeldStep
from tests.workers.test_orders_workflow import an_order, kinds
from tests.workers.workflow_replay import assert_replays


async def test_cancel_accepted_mid_order_says_what_it_will_undo(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    order = an_order()
    held = HeldStep("reserve_inventory", side_effects)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await held.wait_until_running()
        first = await OrderWorkflow.execute_update(
            client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="dup")
        )
        again = await OrderWorkflow.execute_update(
            client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="other")
        )
        held.let_go()
        result = await handle.result()
    await assert_replays(handle, OrderWorkflow)

    assert first == CancellationAccepted(
        step_in_progress="reserve_inventory",
        will_undo=["release_inventory", "refund_payment"],
        reason="dup",
    )
    assert (again.already_requested, again.reason) == (True, "dup")
    assert result.status == "cancelled"
    assert kinds(side_effects, order.order_id) == [
        "payment.charge",
        "inventory.reserve",
        "inventory.release",
        "payment.refund",
    ]


async def test_cancel_refused_once_the_order_is_being_confirmed(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    order = an_order()
    held = HeldStep("confirm_order", side_effects)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await held.wait_until_running()
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await OrderWorkflow.execute_update(
                client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="late")
            )
        state = await handle.query(OrderWorkflow.state)
        held.let_go()
        result = await handle.result()
    await assert_replays(handle, OrderWorkflow)

    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == ORDER_NOT_CANCELLABLE
    assert "being confirmed" in cause.message
    assert cause.details[0]["step"] == "confirm_order"
    # Refused before anything was recorded: the order never heard of it and completes.
    assert state["cancel_requested"] is False
    assert result.status == "completed"
