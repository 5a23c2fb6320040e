"""Order requests (stricter than the contract's ``OrderInput``) and order answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from contracts.orders import OrderInput, OrderItem, OrderOutput
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from api.models.common import BusinessKey, EmailAddress, WorkflowStatusName

__all__ = [
    "BatchItem",
    "BatchResponse",
    "CancellationAnswer",
    "OrderItemRequest",
    "OrderRequest",
    "OrderResult",
    "OrderStatus",
    "ScheduleQuery",
    "UrgentOrderRequest",
]

MAX_AMOUNT = 1_000_000_000.0
MAX_ITEMS = 100

_ORDER_EXAMPLE: dict[str, Any] = {
    "order_id": "A-1001",
    "customer_email": "ada@example.com",
    "amount": 99.5,
    "items": [{"sku": "BOOK-1", "quantity": 2}],
}


MAX_QUANTITY = 10_000


class OrderItemRequest(BaseModel):
    """One order line as a client sends it: a stock-keeping unit and a whole quantity."""

    model_config = ConfigDict(extra="forbid")

    sku: BusinessKey = Field(description="Stock-keeping unit, e.g. `BOOK-1`.")
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class OrderRequest(BaseModel):
    """An order as a client sends it; validated here, then passed on as ``OrderInput``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ORDER_EXAMPLE]})

    order_id: BusinessKey = Field(description="Business key; the workflow id is `order-<id>`.")
    customer_email: EmailAddress
    amount: float = Field(
        gt=0, le=MAX_AMOUNT, allow_inf_nan=False, description="Positive and finite."
    )
    items: list[OrderItemRequest] = Field(
        default_factory=list[OrderItemRequest], max_length=MAX_ITEMS
    )

    def to_input(self) -> OrderInput:
        """The contract's input model, which is what the workflow receives."""
        return OrderInput(
            order_id=self.order_id,
            customer_email=str(self.customer_email),
            amount=self.amount,
            items=[OrderItem(sku=item.sku, quantity=item.quantity) for item in self.items],
        )


class UrgentOrderRequest(OrderRequest):
    """An order with per-execution timeouts and retry policy (defaults are the guide's)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{**_ORDER_EXAMPLE, "execution_timeout_seconds": 1800, "max_attempts": 2}]
        },
    )

    execution_timeout_seconds: int = Field(default=30 * 60, ge=1, le=7 * 24 * 3600)
    run_timeout_seconds: int = Field(
        default=15 * 60, ge=1, le=7 * 24 * 3600, description="At most `execution_timeout_seconds`."
    )
    max_attempts: int = Field(default=2, ge=1, le=10, description="1 means no retry.")
    initial_retry_interval_seconds: float = Field(default=1.0, gt=0, le=3600, allow_inf_nan=False)
    max_retry_interval_seconds: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        allow_inf_nan=False,
        description="At least `initial_retry_interval_seconds`.",
    )

    # Field validators (not a model validator) so the 422 names the field at fault. Each runs
    # after the field it compares with, which is declared above it and so already validated.
    @field_validator("run_timeout_seconds")
    @classmethod
    def _run_fits_in_execution(cls, run_timeout: int, info: ValidationInfo) -> int:
        execution_timeout = info.data.get("execution_timeout_seconds")
        if execution_timeout is not None and run_timeout > execution_timeout:
            raise ValueError("run_timeout_seconds may not exceed execution_timeout_seconds")
        return run_timeout

    @field_validator("max_retry_interval_seconds")
    @classmethod
    def _max_interval_not_below_initial(cls, maximum: float, info: ValidationInfo) -> float:
        initial = info.data.get("initial_retry_interval_seconds")
        if initial is not None and maximum < initial:
            raise ValueError(
                "max_retry_interval_seconds may not be below initial_retry_interval_seconds"
            )
        return maximum


class ScheduleQuery(BaseModel):
    """The delay of ``POST /orders/scheduled``: exactly one of seconds or minutes.

    The longest delay is a setting (``API_MAX_START_DELAY_SECONDS``), checked by the route.
    """

    delay_seconds: int | None = Field(
        default=None, ge=1, description="Delay in seconds; give this or `delay_minutes`."
    )
    delay_minutes: int | None = Field(
        default=None,
        ge=1,
        # The one example: a request built from examples must give exactly one of the two.
        examples=[5],
        description="Delay in minutes (the guide's parameter); give this or `delay_seconds`.",
    )

    @model_validator(mode="after")
    def _exactly_one_delay(self) -> Self:
        if (self.delay_seconds is None) == (self.delay_minutes is None):
            raise ValueError("give exactly one of delay_seconds or delay_minutes")
        return self

    @property
    def given(self) -> Literal["delay_seconds", "delay_minutes"]:
        """The query parameter the client gave."""
        return "delay_seconds" if self.delay_seconds is not None else "delay_minutes"

    @property
    def delay(self) -> timedelta:
        """The delay, whichever unit it was given in."""
        if self.delay_seconds is not None:
            return timedelta(seconds=self.delay_seconds)
        return timedelta(minutes=self.delay_minutes or 0)


class OrderStatus(BaseModel):
    """What an order workflow is doing now, or how it ended."""

    workflow_id: str = Field(examples=["order-A-1001"])
    status: WorkflowStatusName
    state: dict[str, Any] | None = Field(
        default=None,
        description="The workflow's `state` query while it runs; null once it has finished or "
        "when no worker answered in time.",
    )
    result_url: str


class OrderResult(BaseModel):
    """200 answer of the result and sync endpoints: the order completed or was cancelled.

    An order that failed is not a result but a 409 problem of type ``/problems/order-failed``.
    """

    workflow_id: str = Field(examples=["order-A-1001"])
    status: Literal["completed", "cancelled"] = Field(description="How the order ended.")
    started: bool | None = Field(
        default=None, description="Sync endpoint only: whether this request started the workflow."
    )
    result: OrderOutput


class CancellationAnswer(BaseModel):
    """200 answer of ``POST /orders/{id}/cancellation``: the order accepted the cancel request.

    The order stops after ``step_in_progress`` and undoes ``will_undo`` in that order; its result
    then reads ``cancelled``. A refusal is a 409 problem instead (``order-not-cancellable``).
    """

    workflow_id: str = Field(examples=["order-A-1001"])
    status: Literal["cancel_accepted"] = "cancel_accepted"
    step_in_progress: str | None = Field(
        default=None,
        description="The step that finishes first (a charge in flight cannot stop halfway).",
        examples=["reserve_inventory"],
    )
    will_undo: list[str] = Field(
        default_factory=list[str],
        description="What the order undoes, in order; empty when nothing has happened yet.",
        examples=[["release_inventory", "refund_payment"]],
    )
    reason: str | None = None
    already_requested: bool = Field(
        default=False, description="True when an earlier cancel request had been accepted."
    )
    status_url: str
    result_url: str


BatchOutcome = Literal["started", "already_running", "already_exists"]


class BatchItem(BaseModel):
    """What happened to one order of a batch."""

    order_id: str
    workflow_id: str
    outcome: BatchOutcome
    status_url: str
    detail: str | None = None


class BatchResponse(BaseModel):
    """202 when every order was started or already running, 207 when some had already run."""

    total: int
    started: int
    already_running: int
    already_exists: int
    items: list[BatchItem]


def _distinct_order_ids(orders: list[OrderRequest]) -> list[OrderRequest]:
    # One order id is one workflow: a batch naming it twice is a client error, not a retry.
    first_seen: dict[str, int] = {}
    for index, order in enumerate(orders):
        if order.order_id in first_seen:
            raise ValueError(
                f"order_id {order.order_id} appears more than once in the batch "
                f"(items {first_seen[order.order_id]} and {index})"
            )
        first_seen[order.order_id] = index
    return orders


BatchBody = Annotated[list[OrderRequest], Field(min_length=1), AfterValidator(_distinct_order_ids)]
"""The batch body: a JSON array of orders with distinct ids, as in the guide (size is bounded
by settings)."""
