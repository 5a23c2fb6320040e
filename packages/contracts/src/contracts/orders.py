"""The order workflow as the API and the orders worker agree on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from temporal_core import WorkflowContract, WorkflowState

from contracts.common import CANCEL

__all__ = [
    "ORDER",
    "ORDERS_QUEUE",
    "OrderInput",
    "OrderItem",
    "OrderOutcome",
    "OrderOutput",
    "OrderState",
]

ORDERS_QUEUE = "orders"

OrderOutcome = Literal["completed", "cancelled", "failed"]
"""How an order ended (``OrderOutput.status``)."""


class OrderItem(BaseModel):
    """One line of an order: which stock-keeping unit, how many.

    Deliberately loose: the worker checks quantities itself (a workflow may be started by any
    client), and the API's request model adds the limits a public endpoint needs.
    """

    sku: str
    quantity: int = 1


class OrderInput(BaseModel):
    """An order to process; the guide's model. ``order_id`` keys every side effect."""

    order_id: str
    customer_email: str
    amount: float
    items: list[OrderItem] = Field(default_factory=list[OrderItem])


class OrderOutput(BaseModel):
    """How an order ended."""

    order_id: str
    status: OrderOutcome
    message: str


class OrderState(WorkflowState):
    """The ``state`` query of an order: the base fields plus what has happened so far."""

    transaction_id: str | None = None
    reservation_id: str | None = None
    refunded: bool = False


ORDER = WorkflowContract(
    name="OrderWorkflow",
    queue=ORDERS_QUEUE,
    input_type=OrderInput,
    result_type=OrderOutput,
    state_type=OrderState,
    signals=(CANCEL,),
)
"""Start, query, cancel and await an order by name (``worker_orders.OrderWorkflow`` runs it)."""
