"""The order workflow as the API and the orders worker agree on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from temporal_core import UpdateContract, WorkflowContract, WorkflowState

from contracts.common import CANCEL, CancelRequest

__all__ = [
    "ORDER",
    "ORDERS_QUEUE",
    "ORDER_NOT_CANCELLABLE",
    "REQUEST_CANCELLATION",
    "CancellationAccepted",
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


class CancellationAccepted(BaseModel):
    """Answer of the ``request_cancellation`` update: the order will stop, and what it undoes.

    A refusal (the order is being confirmed, or has ended) is an ``ApplicationError`` of type
    ``ORDER_NOT_CANCELLABLE`` instead, answered before anything is recorded.
    """

    step_in_progress: str | None = Field(
        description="The step that finishes before the order stops (a charge in flight cannot "
        "be taken back halfway); None when no step is running."
    )
    will_undo: list[str] = Field(
        description="What the order undoes, in order, e.g. `release_inventory`, `refund_payment`."
    )
    reason: str | None = None
    already_requested: bool = Field(
        default=False, description="True when an earlier cancel had already been accepted."
    )


ORDER_NOT_CANCELLABLE = "OrderNotCancellable"
"""``ApplicationError.type`` of a ``request_cancellation`` the order refused."""

REQUEST_CANCELLATION = UpdateContract(
    name="request_cancellation", arg_type=CancelRequest, result_type=CancellationAccepted
)
"""Cancel with an answer at once: accepted (and what will be undone) or refused."""

ORDER = WorkflowContract(
    name="OrderWorkflow",
    queue=ORDERS_QUEUE,
    input_type=OrderInput,
    result_type=OrderOutput,
    state_type=OrderState,
    signals=(CANCEL,),
    updates=(REQUEST_CANCELLATION,),
)
"""Start, query, cancel and await an order by name (``worker_orders.OrderWorkflow`` runs it)."""
