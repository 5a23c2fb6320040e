"""OrderWorkflow on the time-skipping server with the real activities and side-effect log."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta

import pytest
from contracts.orders import OrderInput, OrderItem
from stand_ins.mail import LocalEmailSender
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, TemporalSettings, build_worker
from temporal_core.client.settings import RetrySettings
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from worker_orders.activities import OrderActivities
from worker_orders.inventory import InvalidItemsError, Inventory, LocalInventory
from worker_orders.models import PaymentReceipt, Reservation
from worker_orders.payments import LocalPaymentGateway, PaymentGateway
from worker_orders.workflows import OrderWorkflow

from tests.workers.cancellation import CANCEL_REQUESTED, close_status, wait_for_event
from tests.workers.workflow_replay import assert_replays

FAST_RETRY = TemporalSettings(
    activity_retry=RetrySettings(
        initial_interval=timedelta(milliseconds=50), backoff_coefficient=1, maximum_attempts=5
    )
)


def an_order(**changes: object) -> OrderInput:
    values: dict[str, object] = {
        "order_id": f"o-{uuid.uuid4().hex[:8]}",
        "customer_email": "ada@example.com",
        "amount": 42.5,
        "items": [{"sku": "widget", "quantity": 2}],
    }
    values.update(changes)
    return OrderInput.model_validate(values)


def local_activities(
    log: SideEffectLog,
    *,
    payments: PaymentGateway | None = None,
    inventory: Inventory | None = None,
) -> OrderActivities:
    """The orders activities on the local services, with ``payments``/``inventory`` swapped in."""
    return OrderActivities(
        payments=payments or LocalPaymentGateway(log),
        inventory=inventory or LocalInventory(log),
        mail=LocalEmailSender(log),
        confirmations=log,
    )


class HeldReservation:
    """An inventory whose ``reserve`` waits for ``let_go`` before it answers."""

    def __init__(self, log: SideEffectLog, *, takes_effect: bool) -> None:
        self.reserving = threading.Event()
        self.let_go = threading.Event()
        self._local = LocalInventory(log)
        self._log = log
        self._takes_effect = takes_effect

    def reserve(self, order_id: str, items: list[OrderItem]) -> Reservation:
        self.reserving.set()
        self.let_go.wait(timeout=60)
        if not self._takes_effect:
            raise InvalidItemsError("never reserved")
        return self._local.reserve(order_id, items)

    def release(self, order_id: str) -> bool:
        return self._local.release(order_id)

    async def wait_until_reserving(self) -> None:
        assert await asyncio.to_thread(self.reserving.wait, 30), "the reservation never started"

    def worker(self, client: Client, task_queue: str) -> Worker:
        """An ``orders`` worker whose reservation step is held here."""
        return build_worker(
            client,
            "orders",
            task_queue=task_queue,
            activities=[local_activities(self._log, inventory=self)],
        )


def kinds(log: SideEffectLog, order_id: str) -> list[str]:
    return [effect.kind for effect in log.entries(key=order_id)]


async def test_order_completes_with_one_effect_per_step(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order()
    async with build_worker(client, "orders", task_queue=task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        result = await handle.result()
        state = await handle.query(OrderWorkflow.state)
    await assert_replays(handle, OrderWorkflow)

    assert result.status == "completed"
    assert kinds(side_effects, order.order_id) == [
        "payment.charge",
        "inventory.reserve",
        "order.confirm",
    ]
    emails = side_effects.entries(key=f"order/{order.order_id}/confirmation")
    assert [email.payload["to"] for email in emails] == ["ada@example.com"]
    assert state["status"] == "completed"
    assert state["progress"] == 100
    assert (
        state["transaction_id"]
        == side_effects.entries(key=order.order_id)[0].payload["transaction_id"]
    )


async def test_cancel_after_payment_refunds_the_charge(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order()
    # Holds the order inside its second step so the cancel lands after the payment.
    held = HeldReservation(side_effects, takes_effect=True)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await held.wait_until_reserving()
        await handle.signal(OrderWorkflow.cancel, CancelRequest(reason="customer changed mind"))
        held.let_go.set()
        result = await handle.result()
        state = await handle.query(OrderWorkflow.state)
    await assert_replays(handle, OrderWorkflow)

    assert await close_status(handle) == WorkflowExecutionStatus.COMPLETED
    assert result.status == "cancelled"
    assert "customer changed mind" in result.message
    assert kinds(side_effects, order.order_id) == [
        "payment.charge",
        "inventory.reserve",
        "inventory.release",
        "payment.refund",
    ]
    charge, refund = (
        side_effects.find("payment.charge", order.order_id),
        side_effects.find("payment.refund", order.order_id),
    )
    assert charge is not None
    assert refund is not None
    assert refund.payload["transaction_id"] == charge.payload["transaction_id"]
    assert state["refunded"] is True
    assert state["cancel_reason"] == "customer changed mind"


async def test_temporal_cancellation_undoes_the_step_in_flight_once_it_has_finished(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order()
    # Holds the order inside its second step; the reservation then takes effect after all.
    held = HeldReservation(side_effects, takes_effect=True)
    async with held.worker(client, task_queue):
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await held.wait_until_reserving()
        await handle.cancel()  # as the Web UI's Cancel button or `temporal workflow cancel` do
        await wait_for_event(handle, CANCEL_REQUESTED)
        # The reservation cannot notice the cancel; it finishes, and only then is it undone.
        held.let_go.set()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        state = await handle.query(OrderWorkflow.state)
    await assert_replays(handle, OrderWorkflow)

    assert isinstance(failure.value.cause, CancelledError)
    assert await close_status(handle) == WorkflowExecutionStatus.CANCELED
    assert kinds(side_effects, order.order_id) == [
        "payment.charge",
        "inventory.reserve",
        "inventory.release",
        "payment.refund",
    ]
    assert side_effects.entries(key=f"order/{order.order_id}/confirmation") == []
    assert state["status"] == "cancelled"
    assert state["refunded"] is True


async def test_charge_failing_twice_after_charging_still_charges_once(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order()
    attempts: list[int] = []
    local = LocalPaymentGateway(side_effects)

    class LosingAnswers:
        """The charge goes through but the answer is "lost" twice, as with a network timeout."""

        def charge(self, order_id: str, customer_email: str, amount: float) -> PaymentReceipt:
            attempts.append(activity.info().attempt)
            receipt = local.charge(order_id, customer_email, amount)
            if activity.info().attempt < 3:
                raise ConnectionError("gateway answer lost")
            return receipt

        def refund(self, order_id: str) -> PaymentReceipt | None:
            return local.refund(order_id)

    worker = build_worker(
        client,
        "orders",
        settings=FAST_RETRY,
        task_queue=task_queue,
        activities=[local_activities(side_effects, payments=LosingAnswers())],
    )
    async with worker:
        result = await OrderWorkflow.execute_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )

    assert result.status == "completed"
    assert attempts == [1, 2, 3]
    assert kinds(side_effects, order.order_id) == [
        "payment.charge",
        "inventory.reserve",
        "order.confirm",
    ]


async def test_invalid_items_fail_the_order_and_refund(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order(items=[{"sku": "widget", "quantity": 0}])
    async with build_worker(client, "orders", task_queue=task_queue):
        result = await OrderWorkflow.execute_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )

    assert result.status == "failed"
    assert "quantity" in result.message
    assert kinds(side_effects, order.order_id) == ["payment.charge", "payment.refund"]


async def test_cancel_before_start_charges_nothing(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = time_skipping_env.client
    order = an_order()
    # Start and cancel before any worker polls, so the first workflow task already sees the cancel.
    handle = await OrderWorkflow.start_workflow(
        client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
    )
    await handle.signal(OrderWorkflow.cancel)
    async with build_worker(client, "orders", task_queue=task_queue):
        result = await handle.result()

    assert result.status == "cancelled"
    assert kinds(side_effects, order.order_id) == []
