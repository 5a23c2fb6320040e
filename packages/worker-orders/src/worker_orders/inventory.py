"""Holding stock for orders, behind a small interface with a local, recording implementation.

:class:`LocalInventory` keeps no stock levels; it validates the items and records reservations
and releases in the side-effect log, at most once per order.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from contracts.orders import OrderItem
from stand_ins.side_effect_log import SideEffectLog

from worker_orders.models import Reservation

__all__ = [
    "RELEASE_KIND",
    "RESERVE_KIND",
    "InvalidItemsError",
    "Inventory",
    "LocalInventory",
]

RESERVE_KIND = "inventory.reserve"
RELEASE_KIND = "inventory.release"


class InvalidItemsError(ValueError):
    """An item cannot be reserved as given (bad quantity, out of stock); retrying will not help."""


class Inventory(Protocol):
    """Reserves and releases stock, idempotently by order id."""

    def reserve(self, order_id: str, items: list[OrderItem]) -> Reservation:
        """Hold ``items`` once for ``order_id``; a repeat returns the first reservation."""
        ...

    def release(self, order_id: str) -> bool:
        """Give back ``order_id``'s reservation once; False when nothing was held."""
        ...


LOCAL_STOCK_PER_SKU = 1000
"""How many of any one SKU the local inventory holds: a larger order line is out of stock, which
is how a developer (and the API tests) make an order fail and compensate on purpose."""


def _check_items(items: list[OrderItem]) -> None:
    for index, item in enumerate(items):
        quantity = item.quantity
        if quantity < 1:
            raise InvalidItemsError(
                f"item {index} has quantity {quantity!r}; quantities are whole numbers from 1"
            )
        if quantity > LOCAL_STOCK_PER_SKU:
            raise InvalidItemsError(
                f"item {index} ({item.sku}): {quantity} ordered, only {LOCAL_STOCK_PER_SKU} "
                "in stock"
            )


class LocalInventory:
    """Records reservations and releases in the side-effect log."""

    def __init__(self, log: SideEffectLog) -> None:
        """Record in ``log``."""
        self._log = log

    def reserve(self, order_id: str, items: list[OrderItem]) -> Reservation:
        """Record a reservation for ``order_id`` unless one exists."""
        _check_items(items)
        effect, _ = self._log.record_once(
            RESERVE_KIND,
            order_id,
            {
                "reservation_id": f"res_{uuid.uuid4().hex[:12]}",
                "items": [item.model_dump() for item in items],
            },
        )
        return Reservation(
            order_id=order_id,
            reservation_id=str(effect.payload["reservation_id"]),
            items=[OrderItem.model_validate(item) for item in effect.payload["items"]],
        )

    def release(self, order_id: str) -> bool:
        """Record a release of ``order_id``'s reservation unless one exists."""
        reservation = self._log.find(RESERVE_KIND, order_id)
        if reservation is None:
            return False
        self._log.record_once(
            RELEASE_KIND, order_id, {"reservation_id": reservation.payload["reservation_id"]}
        )
        return True
