"""Approvals over HTTP: start, approve or reject with who and why, status and result."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.test_orders import assert_problem


def approval(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "request_id": f"R-{uuid.uuid4().hex[:10]}",
        "approver_email": "lead@example.com",
        "subject": "Refund 120 EUR",
        "details": "Returned unopened.",
    }
    body.update(overrides)
    return body


async def start(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await http.post("/approvals", json=body)
    assert response.status_code == 202, response.text
    assert response.json()["started"] is True
    workflow_id: str = response.json()["workflow_id"]
    assert workflow_id == f"approval-{body['request_id']}"
    return workflow_id


async def test_approve_flow(http: httpx.AsyncClient) -> None:
    body = approval()
    workflow_id = await start(http, body)

    again = await http.post("/approvals", json=body)
    assert again.status_code == 200
    assert again.json()["started"] is False

    pending = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 0.2})
    assert pending.status_code == 202
    assert pending.json()["status"] == "running"

    status = await http.get(f"/approvals/{workflow_id}/status")
    assert status.status_code == 200
    assert status.json()["status"] == "running"
    assert status.json()["state"]["status"] == "pending"

    decision = {"decided_by": "lead@example.com", "comment": "Fine by me."}
    approved = await http.post(f"/approvals/{workflow_id}/approve", json=decision)
    assert approved.status_code == 200, approved.text
    assert approved.json() == {
        "workflow_id": workflow_id,
        "status": "decided",
        "decision": {"outcome": "approved", **decision},
        "status_url": f"/approvals/{workflow_id}/status",
        "result_url": f"/approvals/{workflow_id}/result",
    }
    # The same decision again (a retry after a lost answer) answers the same.
    repeated = await http.post(f"/approvals/{workflow_id}/approve", json=decision)
    assert (repeated.status_code, repeated.json()) == (200, approved.json())

    result = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["result"] == {
        "request_id": body["request_id"],
        "status": "approved",
        "decided_by": "lead@example.com",
        "comment": "Fine by me.",
    }

    late = await http.post(f"/approvals/{workflow_id}/reject", json=decision)
    problem = assert_problem(late, 409, "decision-already-made")
    assert problem["workflow_id"] == workflow_id
    assert problem["decision"] == {"outcome": "approved", **decision}
    assert "already approved by lead@example.com" in problem["detail"]

    final = await http.get(f"/approvals/{workflow_id}/status")
    assert final.json()["status"] == "completed"
    assert final.json()["state"] is None


async def test_reject_flow(http: httpx.AsyncClient) -> None:
    workflow_id = await start(http, approval())
    rejected = await http.post(
        f"/approvals/{workflow_id}/reject",
        json={"decided_by": "cfo@example.com", "comment": "Over budget."},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision"]["outcome"] == "rejected"
    result = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200
    assert result.json()["result"]["status"] == "rejected"
    assert result.json()["result"]["decided_by"] == "cfo@example.com"
    assert result.json()["result"]["comment"] == "Over budget."


async def test_expired_approval(http: httpx.AsyncClient) -> None:
    workflow_id = await start(http, approval(timeout_seconds=1))
    result = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["result"]["status"] == "expired"


async def test_approval_errors(http: httpx.AsyncClient) -> None:
    decision = {"decided_by": "x@example.com"}
    assert_problem(
        await http.post("/approvals/approval-missing/approve", json=decision),
        404,
        "workflow-not-found",
    )
    assert_problem(await http.get("/approvals/approval-missing/status"), 404, "workflow-not-found")
    assert_problem(await http.get("/approvals/approval-missing/result"), 404, "workflow-not-found")

    workflow_id = await start(http, approval())
    blank = await http.post(f"/approvals/{workflow_id}/approve", json={"decided_by": "  "})
    assert assert_problem(blank, 422, "validation")["errors"][0]["field"] == "body.decided_by"
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
