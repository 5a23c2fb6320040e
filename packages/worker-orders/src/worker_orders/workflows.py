"""``OrderWorkflow``: charge, reserve, confirm; refund and release when cancelled or failed.

A ``cancel`` signal is honoured between steps: the step in progress finishes (a half-made charge
cannot be taken back), then whatever already happened is undone in reverse order and the order
completes ``cancelled``. A cancellation through Temporal itself (the Web UI, the CLI,
``handle.cancel()``) asks the step in flight to stop, waits until it has, undoes every step that
was started the same way, and the run ends Temporal-CANCELED. A step that fails for good
(declined payment, invalid items) is compensated the same way and the order ends ``failed``.
The ``request_cancellation`` update asks the same as the ``cancel`` signal but answers at once:
accepted, with the step that finishes first and what will be undone, or refused by its validator
once the order is being confirmed or has ended. See docs/cancellation.md. Importing this module
only registers the workflow and its activities.
"""

from __future__ import annotations

import asyncio
from typing import NoReturn

from temporal_core.authoring.base_workflow import BaseWorkflow
from temporal_core.authoring.cancellation import cancelled_through_temporal, despite_cancellation
from temporal_core.authoring.registry import workflow_defn
from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts.common import CancelRequest
    from contracts.orders import (
        ORDER,
        ORDER_NOT_CANCELLABLE,
        CancellationAccepted,
        OrderInput,
        OrderOutput,
        OrderState,
    )

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
# What compensation undoes once a step has started, in the order it undoes it.
_UNDO = {
    "charge_payment": ("refund_payment",),
    "reserve_inventory": ("release_inventory", "refund_payment"),
}

# A step cancelled through Temporal is undone only after it has really stopped: with the default
# (TRY_CANCEL) the refund could run while the charge is still in flight and find nothing to refund.
_STEP_CANCELLATION = workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED


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

    @workflow.update
    def request_cancellation(self, request: CancelRequest) -> CancellationAccepted:
        """Ask the order to stop, as the ``cancel`` signal does, and say what that will undo."""
        already = self.cancel_requested
        if not already:
            self.cancel(request)
        return CancellationAccepted(
            step_in_progress=self.step,
            will_undo=list(_UNDO.get(self._furthest_step or "", ())),
            reason=self.cancel_reason,
            already_requested=already,
        )

    @request_cancellation.validator
    def _refuse_once_confirming(self, request: CancelRequest) -> None:
        # Runs before the update is recorded, so a refusal leaves no trace in the history. Once
        # the confirmation step has begun the run no longer looks at cancel requests, and a
        # failing order already undoes its steps: accepting then would promise a cancellation
        # the order will not perform.
        if self.status != "running":
            self._refuse(f"the order has ended ({self.status})")
        if self._furthest_step == _STEPS[-1]:
            self._refuse("the order is being confirmed and can no longer be cancelled")
        if self.step == "compensating" and not self.cancel_requested:
            self._refuse("the order failed and is undoing its steps already")

    def _refuse(self, message: str) -> NoReturn:
        raise ApplicationError(
            message, self.current_state(), type=ORDER_NOT_CANCELLABLE, non_retryable=True
        )

    @workflow.run
    async def run(self, input: OrderInput) -> OrderOutput:
        """Run the steps in order, stopping and compensating on cancel or a permanent failure."""
        workflow.logger.info("processing order %s", input.order_id)
        try:
            completed = await self._run_steps(input)
        except ActivityError as error:
            if cancelled_through_temporal():
                # Temporal cancelled the run (Web UI, CLI, handle.cancel()) and with it the step
                # in flight, or the step failed while the cancel was pending: undo either way.
                return await self._cancelled(input)
            return await self._failed(input, error)
        except asyncio.CancelledError:
            # The same, delivered while no activity was in flight. Anything else that cancels
            # the run (the worker evicting it from its cache) must not start compensating.
            if not cancelled_through_temporal():
                raise
            return await self._cancelled(input)
        if completed is None:
            return await self._cancelled(input)
        self.progress = 100
        self.status = "completed"
        workflow.logger.info("order %s completed", input.order_id)
        return completed

    async def _run_steps(self, input: OrderInput) -> OrderOutput | None:
        """The steps, in order; None when a cancel stopped them at a safe point."""
        if self._stop_requested():
            return None
        self._begin(_STEPS[0])
        receipt: PaymentReceipt = await self.execute_activity(
            OrderActivities.charge_payment,
            ChargeRequest(
                order_id=input.order_id,
                customer_email=input.customer_email,
                amount=input.amount,
            ),
            cancellation_type=_STEP_CANCELLATION,
        )
        self.transaction_id = receipt.transaction_id
        self.progress = _progress(1)

        if self._stop_requested():
            return None
        self._begin(_STEPS[1])
        reservation: Reservation = await self.execute_activity(
            OrderActivities.reserve_inventory,
            ReservationRequest(order_id=input.order_id, items=input.items),
            cancellation_type=_STEP_CANCELLATION,
        )
        self.reservation_id = reservation.reservation_id
        self.progress = _progress(2)

        if self._stop_requested():
            return None
        self._begin(_STEPS[2])
        await self.execute_activity(
            OrderActivities.confirm_order,
            ConfirmationRequest(
                order_id=input.order_id,
                customer_email=input.customer_email,
                amount=input.amount,
                transaction_id=receipt.transaction_id,
            ),
            cancellation_type=_STEP_CANCELLATION,
        )
        if cancelled_through_temporal():
            # The confirmation finished after Temporal's cancel arrived: undone like the rest.
            # (A cancel signal that arrives during the last step is too late.)
            return None
        return OrderOutput(
            order_id=input.order_id,
            status="completed",
            message=f"Order processed successfully (transaction {receipt.transaction_id})",
        )

    def _stop_requested(self) -> bool:
        return self.cancel_requested or cancelled_through_temporal()

    async def _compensate(self, input: OrderInput) -> None:
        # Runs to its end even when a Temporal cancellation arrives meanwhile: an interrupted
        # undo would leave a charge without its refund.
        await despite_cancellation(self._undo_started_steps(input))

    async def _undo_started_steps(self, input: OrderInput) -> None:
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
        """Undo what happened; complete ``cancelled`` (signal) or end CANCELED (Temporal)."""
        by_temporal = cancelled_through_temporal()
        workflow.logger.info(
            "order %s cancelled%s: %s",
            input.order_id,
            " through Temporal" if by_temporal else "",
            self.cancel_reason,
        )
        self.cancel_requested = True
        await self._compensate(input)
        self.status = "cancelled"
        self.step = None
        # Checked again: a Temporal cancellation may have arrived while a signal's undo ran.
        if cancelled_through_temporal():
            raise asyncio.CancelledError(f"order {input.order_id} cancelled")
        reason = f": {self.cancel_reason}" if self.cancel_reason else ""
        refunded = " and refunded" if self.refunded else ""
        return OrderOutput(
            order_id=input.order_id,
            status="cancelled",
            message=f"Order cancelled{refunded}{reason}",
        )

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
