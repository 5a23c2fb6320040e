"""Encrypted payloads on a real server: what Temporal stores is ciphertext, and keys rotate.

The workers are real ``serve`` processes configured only through ``CODEC_*`` variables, so the
path a deployment takes (settings -> codec -> the runner's client) is what is tested. The
histories are read with a client that has no codec, as anyone with namespace access would.
"""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from contracts.approvals import APPROVAL, APPROVE, ApprovalInput, Decision
from contracts.orders import ORDER, OrderInput, OrderItem
from temporal_core.client.codec import ENCRYPTED_ENCODING, KEY_ID_METADATA
from temporal_core.client.key_ring import new_key_entry
from temporal_core.testing import DevServerProcess
from temporal_core.testing.dev_server import free_port
from temporalio.api.history.v1 import History
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.security.encrypted_stack import (
    SERVE,
    client_for,
    codec_for,
    payloads_in,
    start_worker,
)
from tests.workers.worker_processes import ServeProcess, wait_for_health, worker_env

KEY_A = new_key_entry("key-a")
KEY_B = new_key_entry("key-b")


@pytest.fixture(scope="module")
async def dev_server() -> AsyncIterator[DevServerProcess]:
    """A dev server only this module's workers poll (they serve the real queue names)."""
    async with DevServerProcess() as server:
        yield server


async def raw_history(client: Client, workflow_id: str) -> History:
    """The history exactly as the server stores it (``fetch_history`` decodes nothing)."""
    return History(events=(await client.get_workflow_handle(workflow_id).fetch_history()).events)


def key_ids(history: History) -> set[str]:
    """The key ids of the encrypted payloads in ``history``."""
    return {
        payload.metadata[KEY_ID_METADATA].decode()
        for payload in payloads_in(history)
        if payload.metadata.get("encoding") == ENCRYPTED_ENCODING
    }


async def test_an_encrypted_order_leaves_no_email_or_amount_in_the_history(
    dev_server: DevServerProcess, tmp_path: Path
) -> None:
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    order = OrderInput(
        order_id=f"E-{uuid.uuid4().hex[:8]}",
        customer_email=email,
        amount=1234.56,
        items=[OrderItem(sku="BOOK-1", quantity=1)],
    )
    codec = codec_for(KEY_A, "key-a")
    worker = await start_worker(
        "worker-orders", dev_server.address, tmp_path, keys=KEY_A, current="key-a"
    )
    try:
        client = await client_for(dev_server.address, codec)
        workflow_id = f"order-{order.order_id}"
        await ORDER.start(client, order, id=workflow_id)
        output = await ORDER.result(client, workflow_id)
        assert output.status == "completed", output
    finally:
        worker.send(signal.SIGTERM)
        await worker.wait_exit()

    raw = await client_for(dev_server.address, None)
    history = await raw_history(raw, workflow_id)
    payloads = list(payloads_in(history))
    # Every activity's arguments and result went through the codec too, not only the input.
    assert len(payloads) >= 8
    for payload in payloads:
        stored = payload.SerializeToString()
        assert email.encode() not in stored
        assert b"1234.56" not in stored
        assert payload.metadata["encoding"] == ENCRYPTED_ENCODING, payload.metadata
    assert key_ids(history) == {"key-a"}
    assert email not in worker.output, "the worker logged the customer's address"

    started = history.events[0].workflow_execution_started_event_attributes.input.payloads
    decoded = await codec.decode(started)
    (value,) = pydantic_data_converter.payload_converter.from_payloads(decoded, [OrderInput])
    assert value == order


async def test_a_workflow_started_under_one_key_completes_after_rotation_to_another(
    dev_server: DevServerProcess, tmp_path: Path
) -> None:
    approver = f"grace.{uuid.uuid4().hex[:8]}@example.com"
    workflow_id = f"approval-{uuid.uuid4().hex[:8]}"
    request = ApprovalInput(request_id=workflow_id, approver_email=approver, subject="budget")
    before = await start_worker(
        "worker-approvals", dev_server.address, tmp_path, keys=KEY_A, current="key-a"
    )
    try:
        client_a = await client_for(dev_server.address, codec_for(KEY_A, "key-a"))
        await APPROVAL.start(client_a, request, id=workflow_id)
        state = await APPROVAL.query_state(client_a, workflow_id)
        assert state.approver_email == approver
    finally:
        before.send(signal.SIGTERM)
        await before.wait_exit()

    # Rotation: every service restarts with both keys, B current. A stays for the old history.
    rotated = f"{KEY_A},{KEY_B}"
    after = await start_worker(
        "worker-approvals", dev_server.address, tmp_path, keys=rotated, current="key-b"
    )
    try:
        client_ab = await client_for(dev_server.address, codec_for(rotated, "key-b"))
        await APPROVAL.signal(
            client_ab, workflow_id, APPROVE, Decision(decided_by=approver, comment="ok")
        )
        output = await APPROVAL.result(client_ab, workflow_id)
        assert (output.status, output.decided_by) == ("approved", approver)
    finally:
        after.send(signal.SIGTERM)
        await after.wait_exit()

    raw = await client_for(dev_server.address, None)
    history = await raw_history(raw, workflow_id)
    assert key_ids(history) == {"key-a", "key-b"}
    first, last = history.events[0], history.events[-1]
    # The start was written under A and still opens with A alone...
    started = first.workflow_execution_started_event_attributes.input.payloads
    assert {p.metadata[KEY_ID_METADATA] for p in started} == {b"key-a"}
    old = await codec_for(KEY_A, "key-a").decode(started)
    (value,) = pydantic_data_converter.payload_converter.from_payloads(old, [ApprovalInput])
    assert value == request
    # ...and what happened after the rotation carries B.
    result = last.workflow_execution_completed_event_attributes.result.payloads
    assert {p.metadata[KEY_ID_METADATA] for p in result} == {b"key-b"}


@pytest.mark.parametrize("package", ["api", "worker-orders"])
def test_a_service_without_a_key_refuses_to_start_and_says_how_to_make_one(
    package: str, tmp_path: Path
) -> None:
    env = worker_env("127.0.0.1:1", tmp_path, SERVE_PACKAGE=package, CODEC_ENABLED="true")
    for variable in ("CODEC_KEYS", "CODEC_KEYS_FILE", "CODEC_CURRENT_KEY_ID"):
        env.pop(variable, None)
    result = subprocess.run([SERVE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "CODEC_KEYS_FILE" in result.stderr
    assert "codec-server new-key" in result.stderr
    assert "Traceback" not in result.stderr


async def test_encryption_turned_off_is_a_warning_at_start(
    dev_server: DevServerProcess, tmp_path: Path
) -> None:
    health_port = free_port()
    env = worker_env(
        dev_server.address,
        tmp_path,
        SERVE_PACKAGE="worker-orders",
        WORKER_HEALTH_PORT=str(health_port),
        CODEC_ENABLED="false",
    )
    worker = ServeProcess([SERVE], env=env)
    try:
        await wait_for_health(health_port, 200, worker)
        assert "WARNING" in worker.output
        assert "payload encryption is OFF (CODEC_ENABLED=false)" in worker.output
    finally:
        worker.send(signal.SIGTERM)
        await worker.wait_exit()
