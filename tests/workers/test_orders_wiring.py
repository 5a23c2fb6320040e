"""The orders wiring seam: the one place a deployment picks its payment provider."""

from __future__ import annotations

import threading
import uuid

from contracts.orders import OrderInput
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import build_worker, registry
from temporalio.testing import WorkflowEnvironment
from worker_orders import wiring
from worker_orders.models import PaymentReceipt
from worker_orders.payments import PaymentGateway
from worker_orders.workflows import OrderWorkflow


class ProviderGateway:
    """A payment provider other than the local one: keeps its own ledger, its own ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: dict[str, PaymentReceipt] = {}

    def charge(self, order_id: str, customer_email: str, amount: float) -> PaymentReceipt:
        with self._lock:
            return self.charges.setdefault(
                order_id,
                PaymentReceipt(order_id=order_id, transaction_id=f"prov-{order_id}", amount=amount),
            )

    def refund(self, order_id: str) -> PaymentReceipt | None:
        with self._lock:
            return self.charges.pop(order_id, None)


def test_every_orders_worker_is_wired_by_build_activities() -> None:
    registry.load_queue("orders")  # what serve and build_worker do: the package's entry point
    assert registry.contents("orders").activity_factories == [wiring.build_activities]


async def test_a_gateway_wired_through_the_seam_takes_the_real_payment(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    provider = ProviderGateway()
    gateway: PaymentGateway = provider
    order = OrderInput(
        order_id=f"o-{uuid.uuid4().hex[:8]}",
        customer_email="ada@example.com",
        amount=19.99,
        items=[{"sku": "widget", "quantity": 1}],  # type: ignore[list-item]
    )
    activities = wiring.build_activities(payments=gateway)
    async with build_worker(
        temporal_env.client, "orders", task_queue=task_queue, activities=[activities]
    ):
        result = await OrderWorkflow.execute_workflow(
            temporal_env.client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )

    assert result.status == "completed"
    assert f"prov-{order.order_id}" in result.message
    assert provider.charges[order.order_id].amount == 19.99
    # The rest of the wiring is unchanged: stock and confirmation still go to the local log.
    kinds = [effect.kind for effect in side_effects.entries(key=order.order_id)]
    assert kinds == ["inventory.reserve", "order.confirm"]
