"""Inputs and outputs of the orders activities.

The workflow's own models (input, output, state) are in ``contracts.orders``.
"""

from __future__ import annotations

from contracts.orders import OrderItem
from pydantic import BaseModel, Field

__all__ = [
    "ChargeRequest",
    "ConfirmationRequest",
    "PaymentReceipt",
    "RefundRequest",
    "ReleaseRequest",
    "Reservation",
    "ReservationRequest",
]


class ChargeRequest(BaseModel):
    """Input of ``charge_payment``; ``order_id`` is the idempotency key."""

    order_id: str
    customer_email: str
    amount: float


class PaymentReceipt(BaseModel):
    """A charge or refund as the payment gateway recorded it."""

    order_id: str
    transaction_id: str
    amount: float


class RefundRequest(BaseModel):
    """Input of ``refund_payment``: undo the charge made for ``order_id``, if any."""

    order_id: str


class ReservationRequest(BaseModel):
    """Input of ``reserve_inventory``; ``order_id`` is the idempotency key."""

    order_id: str
    items: list[OrderItem] = Field(default_factory=list[OrderItem])


class Reservation(BaseModel):
    """Stock held for an order."""

    order_id: str
    reservation_id: str
    items: list[OrderItem]


class ReleaseRequest(BaseModel):
    """Input of ``release_inventory``: give back what was held for ``order_id``, if anything."""

    order_id: str


class ConfirmationRequest(BaseModel):
    """Input of ``confirm_order``: mark the order done and e-mail the customer."""

    order_id: str
    customer_email: str
    amount: float
    transaction_id: str
