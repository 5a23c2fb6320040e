"""The side-effect log and the local gateways built on it: once per key, in order, shared."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from contracts.orders import OrderItem
from stand_ins.mail import LocalEmailSender, OutgoingEmail
from stand_ins.side_effect_log import SideEffectLog
from worker_orders.inventory import InvalidItemsError, LocalInventory
from worker_orders.payments import LocalPaymentGateway, PaymentDeclinedError


def test_record_once_returns_the_first_payload(side_effects: SideEffectLog) -> None:
    first, created = side_effects.record_once("payment.charge", "o-1", {"txn": "a"})
    again, created_again = side_effects.record_once("payment.charge", "o-1", {"txn": "b"})

    assert (created, created_again) == (True, False)
    assert again == first
    assert again.payload == {"txn": "a"}


def test_events_keep_repeats_in_order(side_effects: SideEffectLog) -> None:
    side_effects.record_event("chunk", "r/0", {"attempt": 1})
    side_effects.record_event("chunk", "r/0", {"attempt": 2})
    side_effects.record_once("other", "x", {})

    assert [e.payload for e in side_effects.entries(key="r/0")] == [
        {"attempt": 1},
        {"attempt": 2},
    ]
    assert [e.key for e in side_effects.entries(key_prefix="r/")] == ["r/0", "r/0"]


def test_concurrent_charges_for_one_order_charge_once(side_effects: SideEffectLog) -> None:
    gateway = LocalPaymentGateway(side_effects)
    with ThreadPoolExecutor(8) as pool:
        receipts = list(pool.map(lambda _: gateway.charge("o-1", "a@b.c", 10.0), range(16)))

    assert len({receipt.transaction_id for receipt in receipts}) == 1
    assert [e.kind for e in side_effects.entries(key="o-1")] == ["payment.charge"]


def test_refund_without_a_charge_does_nothing(side_effects: SideEffectLog) -> None:
    gateway = LocalPaymentGateway(side_effects)

    assert gateway.refund("o-2") is None
    assert side_effects.entries() == []
    with pytest.raises(PaymentDeclinedError):
        gateway.charge("o-2", "a@b.c", 0)


def test_inventory_and_email_are_idempotent(side_effects: SideEffectLog) -> None:
    stock = LocalInventory(side_effects)
    first = stock.reserve("o-3", [OrderItem(sku="w", quantity=1)])

    assert stock.reserve("o-3", [OrderItem(sku="w", quantity=1)]) == first
    assert stock.release("o-3") is True
    assert stock.release("o-4") is False
    with pytest.raises(InvalidItemsError):
        stock.reserve("o-5", [OrderItem(sku="w", quantity=-1)])

    sender = LocalEmailSender(side_effects)
    message = OutgoingEmail(idempotency_key="k", to="a@b.c", subject="s", body="b")
    assert (sender.send(message), sender.send(message)) == (True, False)
