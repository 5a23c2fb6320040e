"""``POST /orders/{id}/cancellation`` over HTTP: the order's update answers at once.

The orders worker here holds one step until the test lets it go (a stand-in registered under the
real activity's name), so the order is caught mid-way, as a slow payment provider would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from stand_ins.side_effect_log import SideEffectLog
from temporalio.testing import WorkflowEnvironment

from tests.api.support import ApiStack, api_stack, order, poll
from tests.api.test_orders import assert_problem
from tests.workers.held_step import HeldStep


@pytest.fixture
async def orders_only(temporal_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[ApiStack]:
    """The app with no orders worker of its own; each test brings its held one."""
    async with api_stack(temporal_env.client, tmp_path, queues=()) as served:
        yield served


@pytest.fixture
def log(tmp_path: Path) -> SideEffectLog:
    return SideEffectLog(tmp_path / "held.sqlite3")


async def start_held(stack: ApiStack, held: HeldStep) -> str:
    started = await stack.http.post("/orders", json=order())
    assert started.status_code == 202, started.text
    await held.wait_until_running()
    workflow_id: str = started.json()["workflow_id"]
    return workflow_id


async def test_a_cancel_accepted_mid_order_says_what_it_undoes(
    orders_only: ApiStack, log: SideEffectLog
) -> None:
    stack = orders_only
    held = HeldStep("reserve_inventory", log)
    async with held.worker(stack.temporal, stack.task_queues["orders"]):
        workflow_id = await start_held(stack, held)
        url = f"/orders/{workflow_id}/cancellation"
        accepted = await stack.http.post(url, json={"reason": "changed my mind"})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {
            "workflow_id": workflow_id,
            "status": "cancel_accepted",
            "step_in_progress": "reserve_inventory",
            "will_undo": ["release_inventory", "refund_payment"],
            "reason": "changed my mind",
            "already_requested": False,
            "status_url": f"/orders/{workflow_id}/status",
            "result_url": f"/orders/{workflow_id}/result",
        }
        again = await stack.http.post(url, json={"reason": "really"})
        assert again.status_code == 200, again.text
        assert (again.json()["already_requested"], again.json()["reason"]) == (
            True,
            "changed my mind",
        )
        held.let_go()
        result = await stack.http.get(f"/orders/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["status"] == "cancelled"
    assert "refunded" in result.json()["result"]["message"]

    ended = await stack.http.post(f"/orders/{workflow_id}/cancellation", json={"reason": "x"})
    assert assert_problem(ended, 409, "workflow-finished")["workflow_status"] == "cancelled"


async def test_a_cancel_is_refused_once_the_order_is_being_confirmed(
    orders_only: ApiStack, log: SideEffectLog
) -> None:
    stack = orders_only
    held = HeldStep("confirm_order", log)
    async with held.worker(stack.temporal, stack.task_queues["orders"]):
        workflow_id = await start_held(stack, held)
        refused = await stack.http.post(
            f"/orders/{workflow_id}/cancellation", json={"reason": "too late"}
        )
        problem = assert_problem(refused, 409, "order-not-cancellable")
        assert "being confirmed" in problem["detail"]
        assert problem["state"]["step"] == "confirm_order"
        assert problem["status_url"] == f"/orders/{workflow_id}/status"
        held.let_go()
        result = await stack.http.get(f"/orders/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["status"] == "completed"


async def test_a_scheduled_order_accepts_a_cancel_with_nothing_to_undo(stack: ApiStack) -> None:
    # Its code has not begun, so nothing can answer an update; nothing has happened either.
    scheduled = await stack.http.post(
        "/orders/scheduled", json=order(), params={"delay_seconds": 2}
    )
    workflow_id = scheduled.json()["workflow_id"]
    accepted = await stack.http.post(
        f"/orders/{workflow_id}/cancellation", json={"reason": "not needed"}
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["step_in_progress"], accepted.json()["will_undo"]) == (None, [])

    result = await poll(
        stack.http,
        f"/orders/{workflow_id}/result?wait=5",
        until=lambda r: r.status_code == 200,
    )
    assert result.json()["status"] == "cancelled"
    assert "refunded" not in result.json()["result"]["message"]

    missing = await stack.http.post("/orders/order-nobody/cancellation", json={"reason": "x"})
    assert_problem(missing, 404, "workflow-not-found")
