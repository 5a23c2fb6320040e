"""Approve and reject race over real HTTP: exactly one wins, the other learns which decision stands.

Before decisions went through the ``decide`` update, both callers of a race got 202 and the
workflow silently kept the first signal; these races caught that in 20 of 20 runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.api.support import ApiStack
from tests.api.test_approvals import APPROVER, DELEGATE, REQUESTER, approval, start
from tests.api.test_orders import assert_problem

RACES = 24


async def race(http: httpx.AsyncClient) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """One approval, approved by its approver and rejected by a delegate at the same moment."""
    workflow_id = await start(http, approval(), REQUESTER)
    approved, rejected = await asyncio.gather(
        http.post(f"/approvals/{workflow_id}/approve", json={"comment": "yes"}, headers=APPROVER),
        http.post(f"/approvals/{workflow_id}/reject", json={"comment": "no"}, headers=DELEGATE),
    )
    codes = sorted((approved.status_code, rejected.status_code))
    assert codes == [200, 409], (approved.text, rejected.text)
    winner, loser = (approved, rejected) if approved.status_code == 200 else (rejected, approved)
    return workflow_id, winner.json(), assert_problem(loser, 409, "decision-already-made")


async def test_every_approve_reject_race_has_exactly_one_winner(stack: ApiStack) -> None:
    outcomes = await asyncio.gather(*(race(stack.http) for _ in range(RACES)))

    for workflow_id, winner, loser in outcomes:
        decision = winner["decision"]
        # The loser is told which decision stands, and who made it.
        assert loser["decision"] == decision
        assert loser["workflow_id"] == workflow_id
        assert f"already {decision['outcome']} by {decision['decided_by']}" in loser["detail"]
        result = await stack.http.get(
            f"/approvals/{workflow_id}/result", params={"wait": 20}, headers=REQUESTER
        )
        assert result.status_code == 200, result.text
        assert result.json()["result"] == {
            "request_id": workflow_id.removeprefix("approval-"),
            "status": decision["outcome"],
            "decided_by": decision["decided_by"],
            "delegated": decision["delegated"],
            "comment": decision["comment"],
        }


async def test_a_decision_on_a_withdrawn_or_unknown_request_is_refused(
    http: httpx.AsyncClient,
) -> None:
    workflow_id = await start(http, approval())
    withdrawn = await http.post(f"/approvals/{workflow_id}/cancel", json={"reason": "moot"})
    assert withdrawn.status_code == 202
    await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    late = await http.post(f"/approvals/{workflow_id}/approve", json={"comment": "late"})
    assert assert_problem(late, 409, "workflow-finished")["workflow_status"] == "cancelled"

    missing = await http.post("/approvals/approval-nobody/reject", json={"comment": "late"})
    assert_problem(missing, 404, "workflow-not-found")


async def test_the_guide_signal_still_decides_and_the_api_names_that_decision(
    stack: ApiStack,
) -> None:
    workflow_id = await start(stack.http, approval())
    # Code that signals directly, as the usage guide does.
    await stack.temporal.get_workflow_handle(workflow_id).signal(
        "approve", {"decided_by": "script@example.com", "comment": "batch"}
    )
    late = await stack.http.post(
        f"/approvals/{workflow_id}/reject", json={"comment": "no"}, headers=APPROVER
    )
    problem = assert_problem(late, 409, "decision-already-made")
    # A signal names no verified caller; one that is not the approver is recorded as delegated.
    assert problem["decision"] == {
        "outcome": "approved",
        "decided_by": "script@example.com",
        "delegated": True,
        "comment": "batch",
    }
