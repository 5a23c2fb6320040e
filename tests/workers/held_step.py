"""An ``orders`` worker whose reservation or confirmation waits until the test lets it go."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from temporal_core import build_worker, registry
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker
from worker_orders.activities import confirm_order, reserve_inventory
from worker_orders.models import ConfirmationRequest, Reservation, ReservationRequest

__all__ = ["HeldStep"]


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


def replace_activity(real: Callable[..., Any], stand_in: Callable[..., Any]) -> list[Any]:
    """The orders queue's activities with ``stand_in`` registered in place of ``real``."""
    return [stand_in if fn is real else fn for fn in registry.contents("orders").activities]
