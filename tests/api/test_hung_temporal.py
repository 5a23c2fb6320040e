"""A hung Temporal server (SIGSTOPped, not dead): every call answers 503 within its deadline.

A frozen server keeps its sockets open, so nothing fails fast: only the API's own deadline
(``API_TEMPORAL_CALL_TIMEOUT_SECONDS``) stands between a client and a request that never ends.
A start cut off that way may still have been stored, so its 503 says where to look and that a
retry with the same key is safe, and the retry after the thaw finds that one order.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta

import httpx
import pytest
from api.main import create_app
from temporal_core import TemporalSettings
from temporal_core.testing import DevServerProcess

from tests.api.support import api_settings, caller_client, order, order_id_for, poll, serve
from tests.api.test_approvals import approval
from tests.api.test_orders import assert_problem

DEADLINE = 2.0
# Scheduling and the response on a shared two-core machine; far below the deadline itself.
MARGIN = 1.5


@pytest.fixture
async def server() -> AsyncIterator[DevServerProcess]:
    process = DevServerProcess()
    await process.start()
    try:
        yield process
    finally:
        await process.stop()  # resumes a frozen server first


@pytest.fixture
async def http(server: DevServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    settings = TemporalSettings(url=server.address, connect_timeout=timedelta(seconds=2))
    app = create_app(
        api_settings(temporal_call_timeout_seconds=DEADLINE), temporal_settings=settings
    )
    async with serve(app) as url, caller_client(url, timeout=30) as client:
        yield client


async def timed(request: Awaitable[httpx.Response]) -> httpx.Response:
    began = time.monotonic()
    response = await request
    elapsed = time.monotonic() - began
    assert elapsed < DEADLINE + MARGIN, f"answered after {elapsed:.1f}s: {response.text}"
    return response


def assert_retry_later(response: httpx.Response) -> dict[str, object]:
    problem = assert_problem(response, 503, "temporal-unavailable")
    assert int(response.headers["retry-after"]) > 0
    return problem


async def test_a_frozen_server_answers_503_within_the_deadline(
    server: DevServerProcess, http: httpx.AsyncClient
) -> None:
    # Connected and working before the server hangs.
    assert_problem(await http.get("/orders/order-none/status"), 404, "workflow-not-found")
    pending = await http.post("/approvals", json=approval())
    assert pending.status_code == 202, pending.text
    body = order()
    workflow_id = order_id_for(body["order_id"])

    async with server.frozen():
        assert_retry_later(await timed(http.get(f"/orders/{workflow_id}/status")))
        assert_retry_later(await timed(http.get(pending.json()["status_url"])))

        start = assert_retry_later(await timed(http.post("/orders", json=body)))
        assert start["workflow_id"] == workflow_id
        assert start["status_url"] == f"/orders/{workflow_id}/status"
        assert "retry with the same order_id" in str(start["detail"])
        assert "new key" not in str(start["detail"])

        decide = http.post(
            f"/approvals/{pending.json()['workflow_id']}/approve", json={"comment": "yes"}
        )
        assert_retry_later(await timed(decide))

    # Thawed: the start cut off above may or may not have been stored. Either way the retry
    # with the same key answers with that one order, never with a second one or a 409.
    looked = await poll(
        http, f"/orders/{workflow_id}/status", until=lambda r: r.status_code != 503, timeout=30
    )
    assert looked.status_code in (200, 404), looked.text  # stored, or not: both are possible
    again = await http.post("/orders", json=body)
    assert again.status_code in (200, 202), again.text
    assert again.json()["workflow_id"] == workflow_id
    third = await http.post("/orders", json=body)
    assert (third.status_code, third.json()["run_id"]) == (200, again.json()["run_id"])


async def test_an_update_no_worker_answers_is_a_503_that_may_still_apply(
    http: httpx.AsyncClient,
) -> None:
    # No approvals worker polls this server: the decision reaches Temporal but nobody answers.
    pending = await http.post("/approvals", json=approval())
    workflow_id = pending.json()["workflow_id"]
    decided = await timed(http.post(f"/approvals/{workflow_id}/approve", json={"comment": "yes"}))
    problem = assert_retry_later(decided)
    assert problem["status_url"] == f"/approvals/{workflow_id}/status"
    assert "may still take effect" in str(problem["detail"])
