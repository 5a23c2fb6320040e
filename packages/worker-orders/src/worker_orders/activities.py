"""The order's steps as activities on the ``orders`` queue, methods of :class:`OrderActivities`.

The class is built with its collaborators (payment gateway, inventory, e-mail sender and the
side-effect log confirmations are recorded in); which implementations a deployment uses is
chosen in one place, :mod:`worker_orders.wiring`. Each collaborator acts at most once per order
id, so a retried activity repeats nothing. Errors that a retry cannot fix become non-retryable
``ApplicationError``s, so the workflow compensates at once.

The steps take milliseconds, so each declares a start-to-close timeout of seconds: a step held
by a worker that crashed is retried elsewhere that soon (see docs/workers.md, "Recovery").
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from stand_ins.mail import EmailSender, OutgoingEmail
from stand_ins.side_effect_log import SideEffectLog
from temporal_core.authoring.registry import activity_defn
from temporalio import activity
from temporalio.exceptions import ApplicationError

from worker_orders.inventory import InvalidItemsError, Inventory
from worker_orders.models import (
    ChargeRequest,
    ConfirmationRequest,
    PaymentReceipt,
    RefundRequest,
    ReleaseRequest,
    Reservation,
    ReservationRequest,
)
from worker_orders.payments import PaymentDeclinedError, PaymentGateway

__all__ = ["CONFIRM_KIND", "CONFIRM_TIMEOUT", "STEP_TIMEOUT", "OrderActivities"]

QUEUE = "orders"
CONFIRM_KIND = "order.confirm"
STEP_TIMEOUT = timedelta(seconds=10)
"""Start-to-close of a payment or stock step: it takes milliseconds against a local service and
well under a second against a real one."""
CONFIRM_TIMEOUT = timedelta(seconds=15)
"""Start-to-close of the confirmation, which also hands an e-mail to the mail service."""


class OrderActivities:
    """The ``orders`` activities, bound to the services they act through."""

    def __init__(
        self,
        *,
        payments: PaymentGateway,
        inventory: Inventory,
        mail: EmailSender,
        confirmations: SideEffectLog,
    ) -> None:
        """Act through the given services; record confirmations in ``confirmations``."""
        self.payments = payments
        self.inventory = inventory
        self.mail = mail
        self.confirmations = confirmations

    @activity_defn(queue=QUEUE, start_to_close_timeout=STEP_TIMEOUT)
    @activity.defn
    async def charge_payment(self, request: ChargeRequest) -> PaymentReceipt:
        """Charge the customer once for the order."""
        activity.logger.info("charging %.2f for order %s", request.amount, request.order_id)
        try:
            return await asyncio.to_thread(
                self.payments.charge, request.order_id, request.customer_email, request.amount
            )
        except PaymentDeclinedError as error:
            raise ApplicationError(
                str(error), type="PaymentDeclined", non_retryable=True
            ) from error

    @activity_defn(queue=QUEUE, start_to_close_timeout=STEP_TIMEOUT)
    @activity.defn
    async def refund_payment(self, request: RefundRequest) -> PaymentReceipt | None:
        """Refund the order's charge once; None when nothing had been charged."""
        activity.logger.info("refunding order %s", request.order_id)
        return await asyncio.to_thread(self.payments.refund, request.order_id)

    @activity_defn(queue=QUEUE, start_to_close_timeout=STEP_TIMEOUT)
    @activity.defn
    async def reserve_inventory(self, request: ReservationRequest) -> Reservation:
        """Hold the order's items once."""
        activity.logger.info(
            "reserving %d items for order %s", len(request.items), request.order_id
        )
        try:
            return await asyncio.to_thread(self.inventory.reserve, request.order_id, request.items)
        except InvalidItemsError as error:
            raise ApplicationError(str(error), type="InvalidItems", non_retryable=True) from error

    @activity_defn(queue=QUEUE, start_to_close_timeout=STEP_TIMEOUT)
    @activity.defn
    async def release_inventory(self, request: ReleaseRequest) -> bool:
        """Give back the order's items once; False when nothing was held."""
        activity.logger.info("releasing stock of order %s", request.order_id)
        return await asyncio.to_thread(self.inventory.release, request.order_id)

    @activity_defn(queue=QUEUE, start_to_close_timeout=CONFIRM_TIMEOUT)
    @activity.defn
    async def confirm_order(self, request: ConfirmationRequest) -> None:
        """Record the order as confirmed and e-mail the customer, each at most once."""
        activity.logger.info("confirming order %s", request.order_id)
        message = OutgoingEmail(
            idempotency_key=f"order/{request.order_id}/confirmation",
            to=request.customer_email,
            subject=f"Order {request.order_id} confirmed",
            body=(
                f"We charged {request.amount:.2f} (transaction {request.transaction_id}) "
                "and your items are on their way."
            ),
        )

        def confirm() -> None:
            self.confirmations.record_once(
                CONFIRM_KIND, request.order_id, {"transaction_id": request.transaction_id}
            )
            self.mail.send(message)

        await asyncio.to_thread(confirm)
