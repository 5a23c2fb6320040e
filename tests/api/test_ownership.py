"""Ownership over real HTTP: a caller sees and acts on its own orders, reports and schedules only.

``stack.http`` is the caller ``test-user``; ``mallory`` holds every scope but admin too, so each
404 below comes from ownership, not from a missing scope. Another caller's workflow must answer
exactly like an id nobody used, so its existence does not leak.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from typing import Any

import httpx
from api.auth.scopes import ADMIN
from contracts.search_attributes import CUSTOMER_ID, ORDER_ID, OWNER

from tests.api.support import ApiStack, eventually, order, poll
from tests.api.test_orders import assert_problem
from tests.api.test_schedules import SMALL_REPORT, new_schedule_id
from tests.auth_tokens import bearer

MALLORY = bearer("mallory")
ADMIN_CALLER = bearer("ops", [ADMIN])


def _unseen(response: httpx.Response, unknown: httpx.Response, real_id: str, fake_id: str) -> None:
    """``response`` (another caller's id) is the same 404 as ``unknown`` (an id nobody used)."""
    assert response.status_code == 404, response.text
    assert unknown.status_code == 404, unknown.text
    assert response.headers["content-type"] == unknown.headers["content-type"]
    assert response.json() == _renamed(unknown.json(), fake_id, real_id)


def _renamed(problem: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    return {
        name: value.replace(old, new) if isinstance(value, str) else value
        for name, value in problem.items()
    }


async def test_another_caller_gets_the_unknown_id_404_for_an_order(stack: ApiStack) -> None:
    http = stack.http
    body = order()
    started = await http.post("/orders/sync", json=body, params={"wait": 20})
    assert started.status_code == 200, started.text
    workflow_id = started.json()["workflow_id"]
    fake_id = f"order-{uuid.uuid4().hex[:12]}-nobody"

    for method, path, json in (
        ("GET", "status", None),
        ("GET", "result", None),
        ("POST", "cancel", {"reason": "mine now"}),
        ("POST", "cancellation", {"reason": "mine now"}),
    ):
        theirs = await http.request(
            method, f"/orders/{workflow_id}/{path}", json=json, headers=MALLORY
        )
        unknown = await http.request(
            method, f"/orders/{fake_id}/{path}", json=json, headers=MALLORY
        )
        _unseen(theirs, unknown, workflow_id, fake_id)

    # The owner and an admin see it.
    assert (await http.get(f"/orders/{workflow_id}/status")).status_code == 200
    as_admin = await http.get(f"/orders/{workflow_id}/result", headers=ADMIN_CALLER)
    assert as_admin.status_code == 200, as_admin.text
    assert as_admin.json()["result"]["order_id"] == body["order_id"]


async def test_the_same_order_id_from_two_callers_starts_two_workflows(stack: ApiStack) -> None:
    http = stack.http
    body = order()
    mine = await http.post("/orders", json=body, headers={"Idempotency-Key": "same-key"})
    theirs = await http.post(
        "/orders", json=body, headers={**MALLORY, "Idempotency-Key": "same-key"}
    )
    assert (mine.status_code, theirs.status_code) == (202, 202), (mine.text, theirs.text)
    assert mine.json()["workflow_id"] != theirs.json()["workflow_id"]

    # Each caller's retry finds its own workflow, and each status URL works for its owner.
    again = await http.post("/orders", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["workflow_id"] == mine.json()["workflow_id"]
    for started, headers in ((mine, {}), (theirs, MALLORY)):
        status = await http.get(started.json()["status_url"], headers=headers)
        assert status.status_code == 200, status.text

    count = await stack.temporal.count_workflows(f"OrderId = '{body['order_id']}'")
    assert count.count == 2

    # The short form of the id, as the README writes it, is each caller's own order.
    short = f"/orders/order-{body['order_id']}/status"
    for started, headers in ((mine, {}), (theirs, MALLORY)):
        status = await http.get(short, headers=headers)
        assert status.status_code == 200, status.text
        assert status.json()["workflow_id"] == started.json()["workflow_id"]
    unknown = await http.get(short, headers=bearer("a-third-caller"))
    assert_problem(unknown, 404, "workflow-not-found")


async def test_an_order_carries_owner_order_and_customer_ids_and_no_email(stack: ApiStack) -> None:
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    body = order(customer_email=email)
    started = await stack.http.post(
        "/orders/scheduled",
        json=body,
        params={"delay_seconds": 600},
        headers={"Idempotency-Key": f"k-{uuid.uuid4().hex[:8]}"},
    )
    assert started.status_code == 202, started.text
    handle = stack.temporal.get_workflow_handle(started.json()["workflow_id"])
    description = await handle.describe()
    attributes = description.typed_search_attributes
    assert attributes.get(OWNER) == "test-user"
    assert attributes.get(ORDER_ID) == body["order_id"]
    customer = attributes.get(CUSTOMER_ID)
    assert customer is not None
    assert customer.startswith("cust_")

    memo = await description.memo()
    indexed = [str(pair.value) for pair in attributes]  # pyright: ignore[reportUnknownMemberType]
    for text in [*indexed, *(str(value) for value in memo.values())]:
        assert "@" not in text, (indexed, memo)
        assert email.split("@")[0] not in text, (indexed, memo)
    await handle.terminate("test over")


async def test_support_finds_a_customer_s_orders_by_the_id_of_their_email(
    stack: ApiStack,
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    started = await stack.http.post("/orders", json=order(customer_email=email))
    assert started.status_code == 202, started.text
    # What support runs: the id of an address, however it was typed (same key as the API's).
    env = {k: v for k, v in os.environ.items() if k != "API_CUSTOMER_ID_KEY"}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "api.customer_ids", f"  {email.upper()} "),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0
    printed = output.decode().strip()

    async def found() -> bool:
        query = f"CustomerId = '{printed}'"
        ids = [execution.id async for execution in stack.temporal.list_workflows(query)]
        return ids == [started.json()["workflow_id"]]

    await eventually(found, timeout=15)


async def test_reports_idempotency_keys_and_downloads_are_per_caller(stack: ApiStack) -> None:
    http = stack.http
    key = f"R-{uuid.uuid4().hex[:8]}"
    body = {"rows": 10, "chunk_size": 5, "format": "csv"}
    mine = await http.post("/reports/generate", json=body, headers={"Idempotency-Key": key})
    theirs = await http.post(
        "/reports/generate", json=body, headers={**MALLORY, "Idempotency-Key": key}
    )
    assert (mine.status_code, theirs.status_code) == (202, 202), (mine.text, theirs.text)
    report_id = mine.json()["report_id"]
    assert theirs.json()["report_id"] != report_id

    await poll(http, mine.json()["status_url"], until=lambda r: r.json()["status"] == "completed")
    fake_id = f"report-{uuid.uuid4().hex[:12]}-nobody"
    for path in ("status", "download"):
        stolen = await http.get(f"/reports/{report_id}/{path}", headers=MALLORY)
        unknown = await http.get(f"/reports/{fake_id}/{path}", headers=MALLORY)
        _unseen(stolen, unknown, report_id, fake_id)
    cancel = await http.post(f"/reports/{report_id}/cancel", json={"reason": "x"}, headers=MALLORY)
    assert_problem(cancel, 404, "workflow-not-found")

    assert (await http.get(mine.json()["download_url"])).status_code == 200
    assert (await http.get(mine.json()["download_url"], headers=ADMIN_CALLER)).status_code == 200


async def test_schedules_belong_to_their_creator(stack: ApiStack) -> None:
    http = stack.http
    schedule_id = new_schedule_id()
    created = await http.post(
        "/reports/schedules",
        json={"schedule_id": schedule_id, "interval_seconds": 3600, "report": SMALL_REPORT},
    )
    assert created.status_code == 201, created.text
    try:
        fake_id = new_schedule_id()
        for method, path in (("GET", ""), ("POST", "/pause"), ("POST", "/trigger")):
            url = f"/reports/schedules/{{}}{path}"
            theirs = await http.request(method, url.format(schedule_id), headers=MALLORY)
            unknown = await http.request(method, url.format(fake_id), headers=MALLORY)
            _unseen(theirs, unknown, schedule_id, fake_id)
        listed = await http.get("/reports/schedules", headers=MALLORY)
        assert schedule_id not in {item["schedule_id"] for item in listed.json()["schedules"]}
        deleted = await http.delete(f"/reports/schedules/{schedule_id}", headers=MALLORY)
        assert_problem(deleted, 404, "schedule-not-found")

        as_admin = await http.get(f"/reports/schedules/{schedule_id}", headers=ADMIN_CALLER)
        assert as_admin.status_code == 200, as_admin.text
    finally:
        assert (await http.delete(f"/reports/schedules/{schedule_id}")).status_code == 204
