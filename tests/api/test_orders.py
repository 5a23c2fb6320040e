"""Orders over HTTP: every execution pattern of the guide, with its error answers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from api.customer_ids import customer_id
from api.settings import DEV_CUSTOMER_ID_KEY
from contracts.orders import ORDER, OrderInput
from contracts.search_attributes import CUSTOMER_ID, ORDER_ID, OWNER
from temporalio.client import WorkflowExecutionStatus

from tests.api.support import ApiStack, eventually, order, order_id_for, owned_by, poll

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"] == f"/problems/{kind}"
    assert problem["code"] == kind
    assert problem["title"]
    assert problem["detail"]
    return problem


async def test_start_returns_202_with_status_url_then_result(http: httpx.AsyncClient) -> None:
    body = order()
    response = await http.post("/orders", json=body)

    assert response.status_code == 202, response.text
    started = response.json()
    workflow_id = order_id_for(body["order_id"])
    assert started["workflow_id"] == workflow_id
    assert started["started"] is True
    assert started["status"] == "started"
    assert started["status_url"] == f"/orders/{workflow_id}/status"
    assert response.headers["location"] == started["status_url"]

    result = await http.get(started["result_url"], params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["status"] == "completed"
    assert result.json()["result"]["order_id"] == body["order_id"]

    status = await http.get(started["status_url"])
    assert status.status_code == 200
    assert status.json() == {
        "workflow_id": workflow_id,
        "status": "completed",
        "state": None,
        "result_url": started["result_url"],
    }


async def test_retry_while_running_finds_the_same_workflow(http: httpx.AsyncClient) -> None:
    body = order()
    first = await http.post("/orders/scheduled", json=body, params={"delay_seconds": 3600})
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "scheduled"

    again = await http.post("/orders", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["started"] is False
    assert again.json()["status"] == "already_running"
    assert again.json()["run_id"] == first.json()["run_id"]

    status = await http.get(first.json()["status_url"])
    assert status.json()["status"] == "scheduled"


async def test_retry_after_completion_returns_the_finished_order(stack: ApiStack) -> None:
    # A retry whose first attempt's answer was lost must learn the order exists, not be told
    # to order again.
    http = stack.http
    body = order()
    done = await http.post("/orders/sync", json=body, params={"wait": 20})
    assert done.status_code == 200, done.text
    assert done.json()["started"] is True

    again = await http.post("/orders", json=body)
    workflow_id = order_id_for(body["order_id"])
    described = await stack.temporal.get_workflow_handle(workflow_id).describe()
    assert again.status_code == 200, again.text
    assert again.json() == {
        "workflow_id": workflow_id,
        "run_id": described.run_id,
        "started": False,
        "status": "already_finished",
        "workflow_status": "completed",
        "status_url": f"/orders/{workflow_id}/status",
        "result_url": f"/orders/{workflow_id}/result",
    }
    assert again.headers["location"] == f"/orders/{workflow_id}/status"

    sync_again = await http.post("/orders/sync", json=body, params={"wait": 5})
    assert sync_again.status_code == 200, sync_again.text
    assert sync_again.json()["started"] is False
    assert sync_again.json()["result"] == done.json()["result"]


async def test_sync_execute_returns_the_result(http: httpx.AsyncClient) -> None:
    body = order()
    response = await http.post("/orders/sync", json=body, params={"wait": 20})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "completed"
    assert answer["result"]["status"] == "completed"
    assert "transaction" in answer["result"]["message"]


async def test_sync_execute_answers_202_when_the_wait_runs_out(http: httpx.AsyncClient) -> None:
    body = order()
    scheduled = await http.post("/orders/scheduled", json=body, params={"delay_minutes": 60})
    assert scheduled.status_code == 202

    response = await http.post("/orders/sync", json=body, params={"wait": 0.3})
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "scheduled"
    assert response.json()["result_url"] == f"/orders/{order_id_for(body['order_id'])}/result"

    result = await http.get(response.json()["result_url"], params={"wait": 0})
    assert result.status_code == 202
    assert result.json()["status"] == "scheduled"


async def test_scheduled_start_is_delayed(stack: ApiStack) -> None:
    body = order()
    response = await stack.http.post("/orders/scheduled", json=body, params={"delay_seconds": 600})
    assert response.status_code == 202, response.text
    handle = stack.temporal.get_workflow_handle(response.json()["workflow_id"])
    description = await handle.describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.execution_time is not None
    assert (description.execution_time - description.start_time).total_seconds() >= 590


async def test_scheduled_start_validates_the_delay(http: httpx.AsyncClient) -> None:
    missing = await http.post("/orders/scheduled", json=order())
    problem = assert_problem(missing, 422, "validation")
    assert "exactly one of delay_seconds or delay_minutes" in problem["detail"]
    both = await http.post(
        "/orders/scheduled", json=order(), params={"delay_seconds": 5, "delay_minutes": 1}
    )
    problem = assert_problem(both, 422, "validation")
    assert "exactly one of delay_seconds or delay_minutes" in problem["detail"]
    too_long = await http.post("/orders/scheduled", json=order(), params={"delay_minutes": 10**9})
    problem = assert_problem(too_long, 422, "validation")
    assert problem["errors"][0]["field"] == "query.delay_minutes"
    negative = await http.post("/orders/scheduled", json=order(), params={"delay_seconds": 0})
    assert assert_problem(negative, 422, "validation")["errors"][0]["field"] == (
        "query.delay_seconds"
    )


async def test_cancel_with_reason_then_result_reports_cancelled(stack: ApiStack) -> None:
    # A started order finishes in milliseconds, so cancel one while its start is delayed: the
    # signal waits in its history and the workflow sees it as soon as it begins.
    body = order()
    scheduled = await stack.http.post("/orders/scheduled", json=body, params={"delay_seconds": 2})
    workflow_id = scheduled.json()["workflow_id"]

    cancel = await stack.http.post(
        f"/orders/{workflow_id}/cancel", json={"reason": "customer changed their mind"}
    )
    assert cancel.status_code == 202, cancel.text
    assert cancel.json() == {
        "workflow_id": workflow_id,
        "signal": "cancel",
        "status": "signal_sent",
        "status_url": f"/orders/{workflow_id}/status",
        "details": {"reason": "customer changed their mind"},
    }

    result = await stack.http.get(f"/orders/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["status"] == "cancelled"
    assert "customer changed their mind" in result.json()["result"]["message"]

    status = await stack.http.get(f"/orders/{workflow_id}/status")
    assert status.json()["status"] == "cancelled"

    again = await stack.http.post(f"/orders/{workflow_id}/cancel", json={"reason": "again"})
    problem = assert_problem(again, 409, "workflow-finished")
    assert problem["workflow_status"] == "cancelled"


async def test_status_of_a_running_order_nobody_works_on_has_null_state(stack: ApiStack) -> None:
    # No worker polls this queue, so the order stays running; the state query then has no one
    # to answer it and the status says so (state null) instead of hanging or failing.
    workflow_id = f"order-T-{uuid.uuid4().hex[:12]}"
    await ORDER.start(
        stack.temporal,
        OrderInput(order_id=workflow_id[6:], customer_email="a@b.co", amount=1.0),
        id=workflow_id,
        task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
        search_attributes=owned_by(),
    )
    status = await stack.http.get(f"/orders/{workflow_id}/status")
    assert status.status_code == 200, status.text
    assert status.json()["status"] == "running"
    assert status.json()["state"] is None
    await stack.temporal.get_workflow_handle(workflow_id).terminate("test over")


async def test_unknown_or_foreign_workflow_is_404(http: httpx.AsyncClient) -> None:
    for path in ("status", "result"):
        response = await http.get(f"/orders/order-does-not-exist/{path}")
        problem = assert_problem(response, 404, "workflow-not-found")
        assert problem["workflow_id"] == "order-does-not-exist"
    cancel = await http.post("/orders/order-does-not-exist/cancel", json={"reason": "x"})
    assert_problem(cancel, 404, "workflow-not-found")

    approval = await http.post(
        "/approvals",
        json={"request_id": f"R-{uuid.uuid4().hex[:8]}", "approver_email": "boss@example.com"},
    )
    foreign = approval.json()["workflow_id"]
    assert_problem(await http.get(f"/orders/{foreign}/status"), 404, "workflow-not-found")
    assert_problem(
        await http.post(f"/orders/{foreign}/cancel", json={"reason": "x"}),
        404,
        "workflow-not-found",
    )


async def test_unsafe_workflow_id_in_path_is_422(http: httpx.AsyncClient) -> None:
    response = await http.get("/orders/bad id!/status")
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["field"] == "path.workflow_id"


async def test_failed_order_result_is_a_409_that_says_why(http: httpx.AsyncClient) -> None:
    # More than the local inventory holds: the worker refuses it and the order compensates.
    body = order(items=[{"sku": "X", "quantity": 5000}])
    started = await http.post("/orders", json=body)
    assert started.status_code == 202
    result = await http.get(started.json()["result_url"], params={"wait": 20})
    problem = assert_problem(result, 409, "order-failed")
    assert "in stock" in problem["detail"]
    assert problem["workflow_id"] == started.json()["workflow_id"]

    sync = await http.post("/orders/sync", json=order(items=[{"sku": "Y", "quantity": 2000}]))
    assert_problem(sync, 409, "order-failed")


async def test_terminated_workflow_result_is_a_409(stack: ApiStack) -> None:
    body = order()
    started = await stack.http.post("/orders/scheduled", json=body, params={"delay_seconds": 600})
    workflow_id = started.json()["workflow_id"]
    await stack.temporal.get_workflow_handle(workflow_id).terminate("operator stopped it")

    result = await stack.http.get(f"/orders/{workflow_id}/result")
    problem = assert_problem(result, 409, "workflow-unsuccessful")
    assert problem["workflow_status"] == "terminated"
    assert "terminated" in problem["detail"]

    status = await stack.http.get(f"/orders/{workflow_id}/status")
    assert status.status_code == 200
    assert status.json()["status"] == "terminated"


async def test_result_wait_is_bounded(http: httpx.AsyncClient) -> None:
    response = await http.get("/orders/order-x/result", params={"wait": 10_000})
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["field"] == "query.wait"


async def test_urgent_start_applies_timeouts_and_retry(stack: ApiStack) -> None:
    body = order(execution_timeout_seconds=1200, run_timeout_seconds=600, max_attempts=3)
    response = await stack.http.post("/orders/urgent", json=body)
    assert response.status_code == 202, response.text
    handle = stack.temporal.get_workflow_handle(response.json()["workflow_id"])
    config = (await handle.describe()).raw_description.execution_config
    assert config.workflow_execution_timeout.seconds == 1200
    assert config.workflow_run_timeout.seconds == 600
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.retry_policy.maximum_attempts == 3
    assert started.retry_policy.maximum_interval.seconds == 10
    assert (await handle.result())["status"] == "completed"

    guide_defaults = await stack.http.post("/orders/urgent", json=order())
    assert guide_defaults.status_code == 202
    handle = stack.temporal.get_workflow_handle(guide_defaults.json()["workflow_id"])
    config = (await handle.describe()).raw_description.execution_config
    assert config.workflow_execution_timeout.seconds == 1800

    inverted = await stack.http.post(
        "/orders/urgent", json=order(execution_timeout_seconds=60, run_timeout_seconds=120)
    )
    problem = assert_problem(inverted, 422, "validation")
    assert [error["field"] for error in problem["errors"]] == ["body.run_timeout_seconds"]
    backwards = await stack.http.post(
        "/orders/urgent",
        json=order(initial_retry_interval_seconds=30, max_retry_interval_seconds=5),
    )
    problem = assert_problem(backwards, 422, "validation")
    assert [error["field"] for error in problem["errors"]] == ["body.max_retry_interval_seconds"]


async def test_tracked_start_sets_memo_and_search_attributes(stack: ApiStack) -> None:
    email = f"Tracked-{uuid.uuid4().hex[:8]}@Example.com"
    body = order(customer_email=email, amount=123.9)
    response = await stack.http.post("/orders/tracked", json=body)
    assert response.status_code == 202, response.text
    workflow_id = response.json()["workflow_id"]

    description = await stack.temporal.get_workflow_handle(workflow_id).describe()
    # The amount is kept; the e-mail is in no memo and no search attribute.
    assert await description.memo() == {"order_amount": 123.9}
    attributes = description.typed_search_attributes
    customer = customer_id(email, DEV_CUSTOMER_ID_KEY)
    assert attributes.get(OWNER) == "test-user"
    assert attributes.get(ORDER_ID) == body["order_id"]
    assert attributes.get(CUSTOMER_ID) == customer
    assert customer == customer_id(email.upper(), DEV_CUSTOMER_ID_KEY), "normalized e-mail"
    raw = [str(pair.value) for pair in attributes]  # pyright: ignore[reportUnknownMemberType]
    assert not any(email.lower() in value.lower() for value in raw), raw

    async def indexed() -> bool:
        query = (
            f"CustomerId = '{customer}' AND OrderId = '{body['order_id']}' AND CustomIntField = 123"
        )
        found = [execution.id async for execution in stack.temporal.list_workflows(query)]
        return found == [workflow_id]

    await eventually(indexed, timeout=15)


async def test_batch_starts_each_order_once_and_reports_each(http: httpx.AsyncClient) -> None:
    orders = [order() for _ in range(5)]
    first = await http.post("/orders/batch", json=orders)
    assert first.status_code == 202, first.text
    assert first.json()["total"] == 5
    assert first.json()["started"] == 5
    assert {item["outcome"] for item in first.json()["items"]} == {"started"}

    for item in first.json()["items"]:
        await poll(
            http,
            item["status_url"],
            until=lambda r: r.json()["status"] == "completed",
        )
    extra = order()
    again = await http.post("/orders/batch", json=[*orders, extra])
    assert again.status_code == 207, again.text
    report = again.json()
    assert (report["started"], report["already_exists"]) == (1, 5)
    by_id = {item["order_id"]: item for item in report["items"]}
    assert by_id[extra["order_id"]]["outcome"] == "started"
    assert by_id[orders[0]["order_id"]]["outcome"] == "already_exists"


async def test_batch_limits(http: httpx.AsyncClient) -> None:
    duplicate = order()
    dup = await http.post("/orders/batch", json=[order(), duplicate, duplicate])
    problem = assert_problem(dup, 422, "validation")
    assert problem["errors"][0]["field"] == "body"
    assert f"order_id {duplicate['order_id']} appears more than once" in problem["detail"]
    assert "items 1 and 2" in problem["detail"]

    too_many = await http.post("/orders/batch", json=[order() for _ in range(101)])
    problem = assert_problem(too_many, 422, "validation")
    assert "at most 100" in problem["detail"]

    empty = await http.post("/orders/batch", json=[])
    assert_problem(empty, 422, "validation")
