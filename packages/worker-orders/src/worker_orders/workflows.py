"""``OrderWorkflow``: charge, reserve, confirm; refund and release when cancelled or failed.

A ``cancel`` signal is honoured between steps: the step in progress finishes (a half-made charge
cannot be taken back), then whatever already happened is undone in reverse order. A step that
fails for good (declined payment, invalid items) is compensated the same way and the order ends
``failed``. A cancellation through Temporal itself (the Web UI, the CLI, ``handle.cancel()``) is
compensated too, and the run then ends as cancelled. Importing this module only registers the
workflow and its activities.
"""

from __future__ import annotations

import asyncio
from typing import NoReturn

from temporal_core.authoring.base_workflow import BaseWorkflow
from temporal_core.authoring.registry import workflow_defn
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from contracts.orders import ORDER, OrderInput, OrderOutput, OrderState

    from worker_orders.activities import OrderActivities
    from worker_orders.models import (
        ChargeRequest,
        ConfirmationRequest,
        PaymentReceipt,
        RefundRequest,
        ReleaseRequest,
        Reservation,
        ReservationRequest,
    )

__all__ = ["OrderWorkflow"]

_STEPS = ("charge_payment", "reserve_inventory", "confirm_order")


def _progress(steps_done: int) -> int:
    return steps_done * 100 // len(_STEPS)


@workflow_defn(queue=ORDER.queue)
@workflow.defn(name=ORDER.name)
class OrderWorkflow(BaseWorkflow[OrderInput, OrderOutput]):
    """Processes one order; its ``state`` query reports the step and what was charged/held."""

    def __init__(self) -> None:
        """Nothing charged or held yet."""
        super().__init__()
        self.transaction_id: str | None = None
        self.reservation_id: str | None = None
        self.refunded = False
        self._furthest_step: str | None = None

    def _begin(self, step: str) -> None:
        self.step = step
        self._furthest_step = step

    def current_state(self) -> OrderState:
        """The base state plus the transaction, the reservation and whether it was refunded."""
        return OrderState(
            **super().current_state().model_dump(),
            transaction_id=self.transaction_id,
            reservation_id=self.reservation_id,
            refunded=self.refunded,
        )

    @workflow.run
    async def run(self, input: OrderInput) -> OrderOutput:
        """Run the steps in order, stopping and compensating on cancel or a permanent failure."""
        workflow.logger.info("processing order %s", input.order_id)
        try:
            if self.cancel_requested:
                return await self._cancelled(input)
            self._begin(_STEPS[0])
            receipt: PaymentReceipt = await self.execute_activity(
                OrderActivities.charge_payment,
                ChargeRequest(
                    order_id=input.order_id,
                    customer_email=input.customer_email,
                    amount=input.amount,
                ),
            )
            self.transaction_id = receipt.transaction_id
            self.progress = _progress(1)

            if self.cancel_requested:
                return await self._cancelled(input)
            self._begin(_STEPS[1])
            reservation: Reservation = await self.execute_activity(
                OrderActivities.reserve_inventory,
                ReservationRequest(order_id=input.order_id, items=input.items),
            )
            self.reservation_id = reservation.reservation_id
            self.progress = _progress(2)

            if self.cancel_requested:
                return await self._cancelled(input)
            self._begin(_STEPS[2])
            await self.execute_activity(
                OrderActivities.confirm_order,
                ConfirmationRequest(
                    order_id=input.order_id,
                    customer_email=input.customer_email,
                    amount=input.amount,
                    transaction_id=receipt.transaction_id,
                ),
            )
        except ActivityError as error:
            if isinstance(error.cause, CancelledError):
                # Temporal cancelled the run (Web UI, CLI, handle.cancel()) and with it the step
                # in flight.
                await self._cancelled_by_temporal(input)
            return await self._failed(input, error)
        except asyncio.CancelledError:
            # The same, delivered while no activity was in flight.
            await self._cancelled_by_temporal(input)
        self.progress = 100
        self.status = "completed"
        workflow.logger.info("order %s completed", input.order_id)
        return OrderOutput(
            order_id=input.order_id,
            status="completed",
            message=f"Order processed successfully (transaction {receipt.transaction_id})",
        )

    async def _compensate(self, input: OrderInput) -> None:
        # Undo in reverse order, for every step that was started: a step whose result was lost
        # may still have happened. Both activities are idempotent and do nothing when their step
        # never took effect.
        if self._furthest_step is None:
            return
        reached = _STEPS.index(self._furthest_step)
        self.step = "compensating"
        if reached >= _STEPS.index("reserve_inventory"):
            await self.execute_activity(
                OrderActivities.release_inventory, ReleaseRequest(order_id=input.order_id)
            )
        refund: PaymentReceipt | None = await self.execute_activity(
            OrderActivities.refund_payment, RefundRequest(order_id=input.order_id)
        )
        self.refunded = refund is not None

    async def _cancelled(self, input: OrderInput) -> OrderOutput:
        workflow.logger.info("order %s cancelled: %s", input.order_id, self.cancel_reason)
        await self._compensate(input)
        self.status = "cancelled"
        self.step = None
        reason = f": {self.cancel_reason}" if self.cancel_reason else ""
        refunded = " and refunded" if self.refunded else ""
        return OrderOutput(
            order_id=input.order_id,
            status="cancelled",
            message=f"Order cancelled{refunded}{reason}",
        )

    async def _cancelled_by_temporal(self, input: OrderInput) -> NoReturn:
        # Undo whatever may have happened, then end the run as cancelled (not failed).
        workflow.logger.info("order %s cancelled through Temporal", input.order_id)
        self.cancel_requested = True
        await self._compensate(input)
        self.status = "cancelled"
        self.step = None
        raise asyncio.CancelledError(f"order {input.order_id} cancelled")

    async def _failed(self, input: OrderInput, error: ActivityError) -> OrderOutput:
        cause = error.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(cause or error)
        workflow.logger.warning("order %s failed at %s: %s", input.order_id, self.step, reason)
        await self._compensate(input)
        self.status = "failed"
        self.step = None
        return OrderOutput(
            order_id=input.order_id,
            status="failed",
            message=f"Order failed at {self._furthest_step}: {reason}",
        )
