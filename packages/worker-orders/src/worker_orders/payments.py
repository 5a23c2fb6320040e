"""Taking and returning money, behind a small interface with a local, recording implementation.

:class:`LocalPaymentGateway` moves no money: it records charges and refunds in the side-effect
log it is given. Like a real payment API used with an idempotency key, it charges an
order at most once and refunds it at most once, however often an activity is retried.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from stand_ins.side_effect_log import SideEffectLog

from worker_orders.models import PaymentReceipt

__all__ = [
    "CHARGE_KIND",
    "REFUND_KIND",
    "LocalPaymentGateway",
    "PaymentDeclinedError",
    "PaymentGateway",
]

CHARGE_KIND = "payment.charge"
REFUND_KIND = "payment.refund"


class PaymentDeclinedError(ValueError):
    """The gateway refused the charge; retrying will not help."""


class PaymentGateway(Protocol):
    """Charges and refunds orders, idempotently by order id."""

    def charge(self, order_id: str, customer_email: str, amount: float) -> PaymentReceipt:
        """Charge ``amount`` once for ``order_id``; a repeat returns the first receipt."""
        ...

    def refund(self, order_id: str) -> PaymentReceipt | None:
        """Refund ``order_id``'s charge once; None when nothing was charged."""
        ...


class LocalPaymentGateway:
    """Records charges and refunds in the side-effect log."""

    def __init__(self, log: SideEffectLog) -> None:
        """Record in ``log``."""
        self._log = log

    def charge(self, order_id: str, customer_email: str, amount: float) -> PaymentReceipt:
        """Record a charge for ``order_id`` unless one exists; declines non-positive amounts."""
        if amount <= 0:
            raise PaymentDeclinedError(f"amount must be positive, got {amount}")
        effect, _ = self._log.record_once(
            CHARGE_KIND,
            order_id,
            {
                "transaction_id": f"txn_{uuid.uuid4().hex[:12]}",
                "customer_email": customer_email,
                "amount": amount,
            },
        )
        return PaymentReceipt(
            order_id=order_id,
            transaction_id=str(effect.payload["transaction_id"]),
            amount=float(effect.payload["amount"]),
        )

    def refund(self, order_id: str) -> PaymentReceipt | None:
        """Record a refund of ``order_id``'s charge unless one exists."""
        charge = self._log.find(CHARGE_KIND, order_id)
        if charge is None:
            return None
        refund, _ = self._log.record_once(
            REFUND_KIND,
            order_id,
            {
                "transaction_id": charge.payload["transaction_id"],
                "amount": charge.payload["amount"],
            },
        )
        return PaymentReceipt(
            order_id=order_id,
            transaction_id=str(refund.payload["transaction_id"]),
            amount=float(refund.payload["amount"]),
        )
