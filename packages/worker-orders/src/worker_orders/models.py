"""Input and output of the order workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from temporal_core.workflow import WorkflowState

__all__ = [
    "ChargeRequest",
    "ConfirmationRequest",
    "OrderInput",
    "OrderOutput",
    "OrderState",
    "OrderStatus",
    "PaymentReceipt",
    "RefundRequest",
    "ReleaseRequest",
    "Reservation",
    "ReservationRequest",
]

OrderStatus = Literal["completed", "cancelled", "failed"]


class OrderInput(BaseModel):
    """An order to process; the guide's model. ``order_id`` keys every side effect."""

    order_id: str
    customer_email: str
    amount: float
    items: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])


class OrderOutput(BaseModel):
    """How an order ended."""

    order_id: str
    status: str
    message: str


class OrderState(WorkflowState):
    """The ``state`` query of an order: the base fields plus what has happened so far."""

    transaction_id: str | None = None
    reservation_id: str | None = None
    refunded: bool = False


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
    items: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])


class Reservation(BaseModel):
    """Stock held for an order."""

    order_id: str
    reservation_id: str
    items: list[dict[str, Any]]


class ReleaseRequest(BaseModel):
    """Input of ``release_inventory``: give back what was held for ``order_id``, if anything."""

    order_id: str


class ConfirmationRequest(BaseModel):
    """Input of ``confirm_order``: mark the order done and e-mail the customer."""

    order_id: str
    customer_email: str
    amount: float
    transaction_id: str
