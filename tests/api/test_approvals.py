"""Approvals over HTTP: who may ask, read, decide and withdraw, and what each decision records.

Every call names its caller with its own token: the requester asks, the approver the request
names (by e-mail, in any case) decides, a delegate (``approvals:delegate``) may decide for
anyone and is recorded as such, and everyone else finds nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from api.auth.scopes import (
    ADMIN,
    APPROVALS_DECIDE,
    APPROVALS_DELEGATE,
    APPROVALS_READ,
    APPROVALS_WRITE,
)
from temporalio.api.enums.v1 import EventType

from tests.api.support import ApiStack
from tests.api.test_orders import assert_problem
from tests.auth_tokens import bearer

APPROVER_EMAIL = "lead@example.com"
REQUESTER = bearer(
    "requester-1", [APPROVALS_WRITE, APPROVALS_READ, APPROVALS_DECIDE], email="asker@example.com"
)
"""Asks for approvals; holds approvals:decide too, which does not make it the approver."""
APPROVER = bearer("approver-1", [APPROVALS_READ, APPROVALS_DECIDE], email="Lead@Example.com")
"""The approver the requests name, its e-mail in another case."""
DELEGATE = bearer(
    "delegate-1", [APPROVALS_READ, APPROVALS_DECIDE, APPROVALS_DELEGATE], email="cfo@example.com"
)
STRANGER = bearer(
    "stranger-1",
    [APPROVALS_READ, APPROVALS_WRITE, APPROVALS_DECIDE],
    email="someone@example.com",
)
ADMINISTRATOR = bearer("admin-1", [ADMIN])


def approval(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": f"R-{uuid.uuid4().hex[:10]}",
        "approver_email": APPROVER_EMAIL,
        "subject": "Refund 120 EUR",
        "details": "Returned unopened.",
    }
    body.update(overrides)
    return body


async def start(
    http: httpx.AsyncClient, body: dict[str, Any], caller: dict[str, str] | None = None
) -> str:
    response = await http.post("/approvals", json=body, headers=caller)
    assert response.status_code == 202, response.text
    assert response.json()["started"] is True
    workflow_id: str = response.json()["workflow_id"]
    assert workflow_id == f"approval-{body['request_id']}"
    return workflow_id


async def test_approve_flow(http: httpx.AsyncClient) -> None:
    body = approval()
    workflow_id = await start(http, body, REQUESTER)

    again = await http.post("/approvals", json=body, headers=REQUESTER)
    assert again.status_code == 200
    assert again.json()["started"] is False

    pending = await http.get(
        f"/approvals/{workflow_id}/result", params={"wait": 0.2}, headers=REQUESTER
    )
    assert pending.status_code == 202
    assert pending.json()["status"] == "running"

    status = await http.get(f"/approvals/{workflow_id}/status", headers=APPROVER)
    assert status.status_code == 200
    assert status.json()["status"] == "running"
    assert status.json()["state"]["status"] == "pending"

    comment = {"comment": "Fine by me."}
    approved = await http.post(f"/approvals/{workflow_id}/approve", json=comment, headers=APPROVER)
    assert approved.status_code == 200, approved.text
    decision = {
        "outcome": "approved",
        "decided_by": "Lead@Example.com",  # from the approver's token, not from the body
        "delegated": False,
        "comment": "Fine by me.",
    }
    assert approved.json() == {
        "workflow_id": workflow_id,
        "status": "decided",
        "decision": decision,
        "status_url": f"/approvals/{workflow_id}/status",
        "result_url": f"/approvals/{workflow_id}/result",
    }
    # The same decision again (a retry after a lost answer) answers the same.
    repeated = await http.post(f"/approvals/{workflow_id}/approve", json=comment, headers=APPROVER)
    assert (repeated.status_code, repeated.json()) == (200, approved.json())

    result = await http.get(
        f"/approvals/{workflow_id}/result", params={"wait": 20}, headers=REQUESTER
    )
    assert result.status_code == 200, result.text
    assert result.json()["result"] == {
        "request_id": body["request_id"],
        "status": "approved",
        "decided_by": "Lead@Example.com",
        "delegated": False,
        "comment": "Fine by me.",
    }

    late = await http.post(f"/approvals/{workflow_id}/reject", json=comment, headers=APPROVER)
    problem = assert_problem(late, 409, "decision-already-made")
    assert problem["workflow_id"] == workflow_id
    assert problem["decision"] == decision
    assert "already approved by Lead@Example.com" in problem["detail"]

    final = await http.get(f"/approvals/{workflow_id}/status", headers=REQUESTER)
    assert final.json()["status"] == "completed"
    assert final.json()["state"] is None


async def test_a_delegate_decides_for_the_approver_and_is_recorded_as_delegated(
    http: httpx.AsyncClient,
) -> None:
    workflow_id = await start(http, approval(), REQUESTER)
    rejected = await http.post(
        f"/approvals/{workflow_id}/reject", json={"comment": "Over budget."}, headers=DELEGATE
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision"]["outcome"] == "rejected"
    result = await http.get(
        f"/approvals/{workflow_id}/result", params={"wait": 20}, headers=REQUESTER
    )
    assert result.status_code == 200
    assert result.json()["result"] == {
        "request_id": workflow_id.removeprefix("approval-"),
        "status": "rejected",
        "decided_by": "cfo@example.com",
        "delegated": True,
        "comment": "Over budget.",
    }


async def test_anyone_but_the_approver_is_refused_and_leaves_no_trace(stack: ApiStack) -> None:
    http = stack.http
    workflow_id = await start(http, approval(), REQUESTER)

    # The requester may read its request, and holds approvals:decide, but is not the approver.
    refused = await http.post(f"/approvals/{workflow_id}/approve", json={}, headers=REQUESTER)
    problem = assert_problem(refused, 403, "not-the-approver")
    assert problem["workflow_id"] == workflow_id
    # A token without an e-mail cannot be the approver: to it the request does not exist.
    no_email = bearer("approver-2", [APPROVALS_READ, APPROVALS_DECIDE])
    assert_problem(
        await http.post(f"/approvals/{workflow_id}/approve", json={}, headers=no_email),
        404,
        "workflow-not-found",
    )

    state = (await http.get(f"/approvals/{workflow_id}/status", headers=REQUESTER)).json()
    assert (state["status"], state["state"]["decided_by"]) == ("running", None)
    history = await stack.temporal.get_workflow_handle(workflow_id).fetch_history()
    kinds = {event.event_type for event in history.events}
    # Refused by the update's validator: not even a rejected update was written.
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED not in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED not in kinds
    await stack.temporal.get_workflow_handle(workflow_id).terminate()


async def test_the_body_cannot_say_who_decides(http: httpx.AsyncClient) -> None:
    workflow_id = await start(http, approval(), REQUESTER)
    claimed = await http.post(
        f"/approvals/{workflow_id}/approve",
        json={"decided_by": APPROVER_EMAIL, "comment": "it is me"},
        headers=REQUESTER,
    )
    assert assert_problem(claimed, 422, "validation")["errors"][0]["field"] == "body.decided_by"


async def test_only_the_requester_the_approver_delegates_and_admins_see_a_request(
    http: httpx.AsyncClient,
) -> None:
    body = approval()
    workflow_id = await start(http, body, REQUESTER)
    unknown = await http.get("/approvals/approval-nobody-has-this/status", headers=STRANGER)
    unknown_problem = assert_problem(unknown, 404, "workflow-not-found")

    for method, path, payload in (
        ("GET", "status", None),
        ("GET", "result", None),
        ("POST", "approve", {}),
        ("POST", "reject", {}),
        ("POST", "cancel", {"reason": "mine now"}),
    ):
        answer = await http.request(
            method, f"/approvals/{workflow_id}/{path}", json=payload, headers=STRANGER
        )
        problem = assert_problem(answer, 404, "workflow-not-found")
        # Exactly what an id that does not exist gets: existence does not leak.
        assert problem.keys() == unknown_problem.keys()
    taken = await http.post("/approvals", json=body, headers=STRANGER)
    assert_problem(taken, 409, "request-id-taken")

    for caller in (REQUESTER, APPROVER, DELEGATE, ADMINISTRATOR):
        status = await http.get(f"/approvals/{workflow_id}/status", headers=caller)
        assert status.status_code == 200, status.text
    # The approver decides; withdrawing is the requester's.
    approver_who_asks_too = bearer(
        "approver-1", [APPROVALS_READ, APPROVALS_WRITE, APPROVALS_DECIDE], email=APPROVER_EMAIL
    )
    withdraw = await http.post(
        f"/approvals/{workflow_id}/cancel", json={"reason": "no"}, headers=approver_who_asks_too
    )
    assert_problem(withdraw, 403, "not-the-requester")
    withdrawn = await http.post(
        f"/approvals/{workflow_id}/cancel", json={"reason": "moot"}, headers=REQUESTER
    )
    assert withdrawn.status_code == 202, withdrawn.text


async def test_expired_approval(http: httpx.AsyncClient) -> None:
    workflow_id = await start(http, approval(timeout_seconds=1))
    result = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["result"]["status"] == "expired"


async def test_approval_errors(http: httpx.AsyncClient) -> None:
    decision = {"comment": "yes"}
    assert_problem(
        await http.post("/approvals/approval-missing/approve", json=decision),
        404,
        "workflow-not-found",
    )
    assert_problem(await http.get("/approvals/approval-missing/status"), 404, "workflow-not-found")
    assert_problem(await http.get("/approvals/approval-missing/result"), 404, "workflow-not-found")

    workflow_id = await start(http, approval())
    long = await http.post(f"/approvals/{workflow_id}/approve", json={"comment": "x" * 2001})
    assert assert_problem(long, 422, "validation")["errors"][0]["field"] == "body.comment"
    no_body = await http.post(f"/approvals/{workflow_id}/approve")
    assert_problem(no_body, 422, "validation")

    for overrides, field in (
        ({"approver_email": "nope"}, "body.approver_email"),
        ({"timeout_seconds": 0}, "body.timeout_seconds"),
        ({"timeout_seconds": 10**9}, "body.timeout_seconds"),
        ({"request_id": "a/b"}, "body.request_id"),
    ):
        response = await http.post("/approvals", json=approval(**overrides))
        problem = assert_problem(response, 422, "validation")
        assert problem["errors"][0]["field"] == field
