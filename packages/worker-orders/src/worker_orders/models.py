"""Input and output of the order workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["OrderInput", "OrderOutput", "OrderStatus"]

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
