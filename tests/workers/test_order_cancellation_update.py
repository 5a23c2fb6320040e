"""OrderWorkflow's ``request_cancellation`` update on the real dev server: accepted or refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from contracts.orders import ORDER_NOT_CANCELLABLE, CancellationAccepted
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, build_worker
from temporalio import activity
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from worker_orders.activities import confirm_order, reserve_inventory
from worker_orders.models import ConfirmationRequest, Reservation, ReservationRequest
from worker_orders.workflows import OrderWorkflow

from tests.workers.test_orders_workflow import an_order, kinds, replace_activity
from tests.workers.workflow_replay import assert_replays


class HeldStep:
    """An ``orders`` worker whose ``step`` activity waits for ``release`` before doing its work."""

    def __init__(self, step: Callable[..., Any]) -> None:
        self.step = step
        self.running = asyncio.Event()
        self.release = asyncio.Event()

    async def hold(self) -> None:
        self.running.set()
        await self.release.wait()

    def worker(self, client: Client, task_queue: str) -> Worker:
        @activity.defn(name="reserve_inventory")
        async def held_reserve(request: ReservationRequest) -> Reservation:
            await self.hold()
            return await reserve_inventory(request)

        @activity.defn(name="confirm_order")
        async def held_confirm(request: ConfirmationRequest) -> None:
            await self.hold()
            await confirm_order(request)

        held = held_reserve if self.step is reserve_inventory else held_confirm
        return build_worker(
            client, "orders", task_queue=task_queue, activities=replace_activity(self.step, held)
        )


async def test_cancel_accepted_mid_order_says_what_it_will_undo(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    order = an_order()
    held = HeldStep(reserve_inventory)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await asyncio.wait_for(held.running.wait(), timeout=30)
        first = await OrderWorkflow.execute_update(
            client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="dup")
        )
        again = await OrderWorkflow.execute_update(
            client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="other")
        )
        held.release.set()
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
    held = HeldStep(confirm_order)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await asyncio.wait_for(held.running.wait(), timeout=30)
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await OrderWorkflow.execute_update(
                client, handle.id, OrderWorkflow.request_cancellation, CancelRequest(reason="late")
            )
        state = await handle.query(OrderWorkflow.state)
        held.release.set()
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
