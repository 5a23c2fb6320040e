"""The one place that chooses the services the ``orders`` activities act through.

``build_activities`` is what every ``orders`` worker runs on: ``serve`` (through the registry's
activities factory, see :mod:`worker_orders.registration`), ``build_worker`` in tests and the
API test stack. By default it wires the local stand-ins, which record every charge, reservation
and e-mail in the side-effect log at ``SIDE_EFFECTS_DB``. To take real payments, build your
gateway here instead of ``LocalPaymentGateway`` (it must satisfy
:class:`worker_orders.payments.PaymentGateway`); nothing else changes.
"""

from __future__ import annotations

from stand_ins.mail import LocalEmailSender
from stand_ins.side_effect_log import SideEffectLog

from worker_orders.activities import OrderActivities
from worker_orders.inventory import LocalInventory
from worker_orders.payments import LocalPaymentGateway, PaymentGateway

__all__ = ["build_activities"]


def build_activities(*, payments: PaymentGateway | None = None) -> OrderActivities:
    """The ``orders`` activities with this deployment's services.

    Reads ``SIDE_EFFECTS_DB`` once, now. ``payments`` replaces the payment gateway (a test's,
    or a provider a caller builds itself); the local, recording one is the default.
    """
    log = SideEffectLog.from_environment()
    return OrderActivities(
        payments=payments or LocalPaymentGateway(log),
        inventory=LocalInventory(log),
        mail=LocalEmailSender(log),
        confirmations=log,
    )
