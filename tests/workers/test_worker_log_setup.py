"""configure_logging: readable text lines or JSON objects, with trace and workflow context."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from contracts.orders import ORDER, OrderInput, OrderItem
from stand_ins.mail import LocalEmailSender
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import build_worker
from temporal_core.observability.log_setup import configure_logging
from temporalio.testing import WorkflowEnvironment
from worker_orders.activities import OrderActivities
from worker_orders.inventory import LocalInventory
from worker_orders.models import PaymentReceipt
from worker_orders.payments import LocalPaymentGateway
from worker_orders.workflows import OrderWorkflow


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_text_is_one_readable_line_with_trace_ids(captured: io.StringIO) -> None:
    configure_logging("info", "text", stream=captured)
    logging.getLogger("shop").info(
        "charged %s", "o-1", extra={"trace_id": "a" * 32, "span_id": "b" * 16}
    )
    logging.getLogger("shop").debug("hidden below INFO")

    (line,) = captured.getvalue().splitlines()
    assert line.endswith(f"INFO    shop: charged o-1 [trace_id={'a' * 32} span_id={'b' * 16}]")


def test_json_is_one_object_per_line_with_context(captured: io.StringIO) -> None:
    configure_logging("DEBUG", "json", stream=captured)
    logging.getLogger("shop").debug("plain")
    logging.getLogger("shop").warning(
        "step failed",
        extra={"trace_id": "c" * 32, "span_id": "d" * 16, "temporal_workflow": {"id": "w-1"}},
    )
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("shop").exception("with traceback")

    plain, failed, crashed = (json.loads(line) for line in captured.getvalue().splitlines())
    assert (plain["level"], plain["logger"], plain["message"]) == ("DEBUG", "shop", "plain")
    assert "trace_id" not in plain
    assert failed["trace_id"] == "c" * 32
    assert failed["span_id"] == "d" * 16
    assert failed["temporal_workflow"] == {"id": "w-1"}
    assert "ValueError: boom" in crashed["exception"]


def test_a_second_call_replaces_the_handler(captured: io.StringIO) -> None:
    configure_logging("INFO", "text", stream=io.StringIO())
    configure_logging("INFO", "json", stream=captured)
    logging.getLogger("shop").info("once")

    assert len(captured.getvalue().splitlines()) == 1


def test_unknown_values_are_refused() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("LOUD", "text")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("INFO", "xml")


class _ProviderOutage(RuntimeError):
    """What a payment provider's client might raise, with the customer's address in the text."""


class _GatewayThatFailsOnce:
    """A payment provider that is down for the first attempt and names the customer doing so."""

    def __init__(self, log: SideEffectLog) -> None:
        self._gateway = LocalPaymentGateway(log)
        self.failed = False

    def charge(self, order_id: str, customer_email: str, amount: float) -> PaymentReceipt:
        if not self.failed:
            self.failed = True
            raise _ProviderOutage(f"provider timed out charging {customer_email} for {order_id}")
        return self._gateway.charge(order_id, customer_email, amount)

    def refund(self, order_id: str) -> PaymentReceipt | None:
        return self._gateway.refund(order_id)


async def test_a_real_workers_log_lines_carry_no_email_address(
    captured: io.StringIO, temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> None:
    """The SDK logs a failed activity attempt with its exception: the address must be masked."""
    configure_logging("INFO", "text", stream=captured)
    log = SideEffectLog(tmp_path / "side_effects.sqlite3")
    gateway = _GatewayThatFailsOnce(log)
    activities = OrderActivities(
        payments=gateway,
        inventory=LocalInventory(log),
        mail=LocalEmailSender(log),
        confirmations=log,
    )
    email = "margaret.hamilton@example.com"
    order = OrderInput(
        order_id=f"L-{uuid.uuid4().hex[:8]}",
        customer_email=email,
        amount=9.5,
        items=[OrderItem(sku="BOOK-1", quantity=1)],
    )
    client = temporal_env.client
    assert OrderWorkflow.__name__ == ORDER.name  # imported: that registers the orders queue
    async with build_worker(client, "orders", task_queue=task_queue, activities=[activities]):
        output = await ORDER.start(client, order, id=order.order_id, task_queue=task_queue)
        assert (await output.result()).status == "completed"

    lines = captured.getvalue()
    assert gateway.failed
    assert "provider timed out charging m***@example.com" in lines, lines
    assert email not in lines
