"""An ``orders`` worker whose reservation or confirmation waits until the test lets it go.

The hold sits in a collaborator the activities are built with (the inventory for the
reservation, the mail service for the confirmation), the way a slow provider would hold them.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Literal

from contracts.orders import OrderItem
from stand_ins.mail import LocalEmailSender, OutgoingEmail
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import build_worker
from temporalio.client import Client
from temporalio.worker import Worker
from worker_orders.activities import OrderActivities
from worker_orders.inventory import LocalInventory
from worker_orders.models import Reservation
from worker_orders.payments import LocalPaymentGateway

__all__ = ["HeldStep"]


class HeldStep:
    """Holds ``step`` of every order on its worker until ``let_go()``."""

    def __init__(
        self, step: Literal["reserve_inventory", "confirm_order"], log: SideEffectLog
    ) -> None:
        self.step = step
        self._log = log
        self._inventory = LocalInventory(log)
        self._mail = LocalEmailSender(log)
        self._running = threading.Event()
        self._released = threading.Event()

    async def wait_until_running(self) -> None:
        """Return once an order is inside the held step."""
        assert await asyncio.to_thread(self._running.wait, 30), f"{self.step} never started"

    def let_go(self) -> None:
        """Let the held step (and every later one) do its work."""
        self._released.set()

    def _hold(self) -> None:
        self._running.set()
        self._released.wait(timeout=60)

    # The inventory and mail services the activities act through.
    def reserve(self, order_id: str, items: list[OrderItem]) -> Reservation:
        if self.step == "reserve_inventory":
            self._hold()
        return self._inventory.reserve(order_id, items)

    def release(self, order_id: str) -> bool:
        return self._inventory.release(order_id)

    def send(self, message: OutgoingEmail) -> bool:
        if self.step == "confirm_order":
            self._hold()
        return self._mail.send(message)

    def worker(self, client: Client, task_queue: str) -> Worker:
        """An ``orders`` worker on ``task_queue`` whose ``step`` is held here."""
        activities = OrderActivities(
            payments=LocalPaymentGateway(self._log),
            inventory=self,
            mail=self,
            confirmations=self._log,
        )
        return build_worker(client, "orders", task_queue=task_queue, activities=[activities])
