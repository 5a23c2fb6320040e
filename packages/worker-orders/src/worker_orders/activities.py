"""The order's steps as activities on the ``orders`` queue.

Each one calls a small interface (payment gateway, inventory, e-mail) whose local implementation
records the effect once per order id, so a retried activity repeats nothing. Errors that a retry
cannot fix become non-retryable ``ApplicationError``s, so the workflow compensates at once.
"""

from __future__ import annotations

import asyncio

from stand_ins.mail import OutgoingEmail, email_sender
from stand_ins.side_effect_log import default_side_effect_log
from temporal_core.authoring.registry import activity_defn
from temporalio import activity
from temporalio.exceptions import ApplicationError

from worker_orders.inventory import InvalidItemsError, inventory
from worker_orders.models import (
    ChargeRequest,
    ConfirmationRequest,
    PaymentReceipt,
    RefundRequest,
    ReleaseRequest,
    Reservation,
    ReservationRequest,
)
from worker_orders.payments import PaymentDeclinedError, payment_gateway

__all__ = [
    "CONFIRM_KIND",
    "charge_payment",
    "confirm_order",
    "refund_payment",
    "release_inventory",
    "reserve_inventory",
]

QUEUE = "orders"
CONFIRM_KIND = "order.confirm"


@activity_defn(queue=QUEUE)
@activity.defn
async def charge_payment(request: ChargeRequest) -> PaymentReceipt:
    """Charge the customer once for the order."""
    activity.logger.info("charging %.2f for order %s", request.amount, request.order_id)
    try:
        return await asyncio.to_thread(
            payment_gateway().charge, request.order_id, request.customer_email, request.amount
        )
    except PaymentDeclinedError as error:
        raise ApplicationError(str(error), type="PaymentDeclined", non_retryable=True) from error


@activity_defn(queue=QUEUE)
@activity.defn
async def refund_payment(request: RefundRequest) -> PaymentReceipt | None:
    """Refund the order's charge once; None when nothing had been charged."""
    activity.logger.info("refunding order %s", request.order_id)
    return await asyncio.to_thread(payment_gateway().refund, request.order_id)


@activity_defn(queue=QUEUE)
@activity.defn
async def reserve_inventory(request: ReservationRequest) -> Reservation:
    """Hold the order's items once."""
    activity.logger.info("reserving %d items for order %s", len(request.items), request.order_id)
    try:
        return await asyncio.to_thread(inventory().reserve, request.order_id, request.items)
    except InvalidItemsError as error:
        raise ApplicationError(str(error), type="InvalidItems", non_retryable=True) from error


@activity_defn(queue=QUEUE)
@activity.defn
async def release_inventory(request: ReleaseRequest) -> bool:
    """Give back the order's items once; False when nothing was held."""
    activity.logger.info("releasing stock of order %s", request.order_id)
    return await asyncio.to_thread(inventory().release, request.order_id)


@activity_defn(queue=QUEUE)
@activity.defn
async def confirm_order(request: ConfirmationRequest) -> None:
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
        default_side_effect_log().record_once(
            CONFIRM_KIND, request.order_id, {"transaction_id": request.transaction_id}
        )
        email_sender().send(message)

    await asyncio.to_thread(confirm)
