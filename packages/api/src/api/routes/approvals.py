"""``/approvals``: a human-in-the-loop workflow; approve and reject are decided atomically.

Approve and reject send the workflow's ``decide`` update, not the guide's ``approve``/``reject``
signals: a signal is only recorded, so two racing callers would both hear "sent" while the
workflow kept the first decision. The update's validator refuses every decision after the first,
before anything is recorded, so exactly one caller gets 200 and the other a 409 that names the
decision that stands. Withdrawing (cancel) stays a signal: it needs no answer.

The decider is the caller: its token's e-mail goes to the workflow as ``decided_by`` (the body
only carries a comment), and the validator refuses anyone but the named approver unless the
caller holds ``approvals:delegate`` (403 ``not-the-approver``). Who may see a request at all is
in :mod:`api.approval_access`.
"""

from __future__ import annotations

from typing import Any

from contracts.approvals import (
    APPROVAL,
    DECIDE,
    DECISION_ALREADY_MADE,
    NOT_THE_APPROVER,
    REQUEST_WITHDRAWN,
    DecisionMade,
    DecisionOutcome,
    DecisionRequest,
    is_approver,
)
from contracts.common import CANCEL, CancelRequest
from fastapi import APIRouter, Response

from api.approval_access import REQUESTER_MEMO_KEY, Role, role_of
from api.auth import scopes
from api.auth.dependencies import ApprovalsDecider, ApprovalsReader, ApprovalsWriter
from api.auth.principal import Principal
from api.deps import ApiSettingsDep, WorkflowCallsDep
from api.errors.approvals import (
    ApprovalWithdrawn,
    DecisionAlreadyMade,
    NotTheApprover,
    NotTheRequester,
    RequestIdTaken,
)
from api.models.approvals import (
    ApprovalRequest,
    ApprovalResult,
    ApprovalStatus,
    DecisionBody,
    DecisionConflictProblem,
    DecisionRecorded,
)
from api.models.common import (
    ApprovalIdPath,
    CancelBody,
    IdempotencyKeyHeader,
    SignalSent,
    WaitQuery,
    WorkflowRunning,
    WorkflowStarted,
)
from api.problems import PROBLEM_MEDIA_TYPE, UpdateRefused, WorkflowFinished, problem_responses
from api.responses import answer_started, answer_still_running, resolve_wait
from api.workflow_calls import Finished, Refused, WorkflowCalls, completed_status

__all__ = ["approval_workflow_id", "router"]

router = APIRouter(prefix="/approvals", tags=["approvals"])

_SIGNAL_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(400, 404, 409, 413, 422, 503),
    403: {
        **problem_responses(403)[403],
        "description": "The token lacks `approvals:write` (`missing-scope`), or the caller is "
        "the approver, not the requester (`not-the-requester`).",
    },
}


def approval_workflow_id(request_id: str) -> str:
    """The workflow id of an approval request: one business key, one workflow."""
    return f"approval-{request_id}"


def _status_url(workflow_id: str) -> str:
    return f"/approvals/{workflow_id}/status"


def _result_url(workflow_id: str) -> str:
    return f"/approvals/{workflow_id}/result"


@router.post(
    "",
    status_code=202,
    response_model=WorkflowStarted,
    responses={
        200: {
            "model": WorkflowStarted,
            "description": "This request's approval exists (pending, or already decided: see "
            "`status` and `workflow_status`); nothing new was started.",
        },
        **problem_responses(400, 413, 422, 503),
        409: {
            **problem_responses(409)[409],
            "description": "Another caller's request has this `request_id` (`request-id-taken`).",
        },
    },
    summary="Ask for an approval",
)
async def create_approval(
    caller: ApprovalsWriter,
    request: ApprovalRequest,
    calls: WorkflowCallsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Start the approval workflow; it waits for a decision until ``timeout_seconds``.

    The caller becomes the request's owner: it, the approver and admins can read it.
    """
    workflow_id = approval_workflow_id(request.request_id)
    memo: dict[str, Any] = {REQUESTER_MEMO_KEY: caller.subject}
    if idempotency_key:
        memo["idempotency_key"] = idempotency_key
    outcome = await calls.start_once(
        APPROVAL,
        request.to_input(),
        workflow_id=workflow_id,
        status_url=_status_url(workflow_id),
        retry_key="request_id",
        memo=memo,
    )
    if not outcome.started and await role_of(calls, workflow_id, caller) is not Role.REQUESTER:
        # A retry finds its own request; another caller's is not shown (nor is whose it is).
        raise RequestIdTaken(
            f"request_id {request.request_id} is already used by another request: choose "
            "another id",
        )
    return answer_started(
        outcome, response, status_url=_status_url(workflow_id), result_url=_result_url(workflow_id)
    )


_DECISION_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problem_responses(400, 404, 409, 413, 422, 503),
    403: {
        **problem_responses(403)[403],
        "description": "The token lacks `approvals:decide` (`missing-scope`), or the caller is "
        "not the approver the request names and does not hold `approvals:delegate` "
        "(`not-the-approver`).",
    },
    409: {
        "model": DecisionConflictProblem,
        "description": "Another decision stands (`decision-already-made`, with `decision`), the "
        "request was withdrawn (`approval-withdrawn`) or it has ended (`workflow-finished`).",
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/DecisionConflictProblem"}}
        },
    },
}


@router.post(
    "/{workflow_id}/approve",
    response_model=DecisionRecorded,
    responses=_DECISION_RESPONSES,
    summary="Approve a pending request",
)
async def approve(
    caller: ApprovalsDecider,
    workflow_id: ApprovalIdPath,
    body: DecisionBody,
    calls: WorkflowCallsDep,
) -> DecisionRecorded:
    """Approve as the caller, with why: 200 when this decision stands, 409 when another does."""
    return await _decide(calls, workflow_id, "approved", body, caller)


@router.post(
    "/{workflow_id}/reject",
    response_model=DecisionRecorded,
    responses=_DECISION_RESPONSES,
    summary="Reject a pending request",
)
async def reject(
    caller: ApprovalsDecider,
    workflow_id: ApprovalIdPath,
    body: DecisionBody,
    calls: WorkflowCallsDep,
) -> DecisionRecorded:
    """Reject as the caller, with why: 200 when this decision stands, 409 when another does."""
    return await _decide(calls, workflow_id, "rejected", body, caller)


async def _decide(
    calls: WorkflowCalls,
    workflow_id: str,
    outcome: DecisionOutcome,
    body: DecisionBody,
    caller: Principal,
) -> DecisionRecorded:
    status_url = _status_url(workflow_id)
    if await role_of(calls, workflow_id, caller) is Role.STRANGER:
        raise calls.not_found(APPROVAL, workflow_id)
    delegate = caller.can(scopes.APPROVALS_DELEGATE)
    if caller.email is None and not delegate:
        raise NotTheApprover(
            "your token has no e-mail claim, so it cannot name you as the approver",
            workflow_id=workflow_id,
            status_url=status_url,
        )
    request = DecisionRequest(
        outcome=outcome,
        decided_by=caller.email or caller.subject,
        delegated=delegate,
        comment=body.comment,
    )
    try:
        answer = await calls.update(APPROVAL, workflow_id, DECIDE, request, status_url=status_url)
    except WorkflowFinished:
        # The winning decision ends the run at once, so a losing caller usually finds it ended;
        # its result still names the decision that stands.
        standing = await _decision_of_ended(calls, workflow_id)
        if standing is None:
            raise
        answer = Refused(DECISION_ALREADY_MADE, "a decision stands", (standing.model_dump(),))
    if isinstance(answer, Refused):
        answer = _standing_decision(workflow_id, request, answer)
    return DecisionRecorded(
        workflow_id=workflow_id,
        decision=answer,
        status_url=status_url,
        result_url=_result_url(workflow_id),
    )


def _standing_decision(
    workflow_id: str, request: DecisionRequest, refusal: Refused
) -> DecisionMade:
    """The decision that stands when it is the one asked for again; else the 409 to raise."""
    status_url = _status_url(workflow_id)
    if refusal.kind == NOT_THE_APPROVER:
        raise NotTheApprover(
            f"only the approver named in {workflow_id} may decide it (or a caller holding "
            f"{scopes.APPROVALS_DELEGATE})",
            workflow_id=workflow_id,
            status_url=status_url,
        )
    if refusal.kind == DECISION_ALREADY_MADE and refusal.details:
        standing = DecisionMade.model_validate(refusal.details[0])
        if _same_decision(standing, request):
            return standing  # a retry of the winning decision: the same answer again
        raise DecisionAlreadyMade(
            f"{workflow_id} was already {standing.outcome} by {standing.decided_by}; "
            "that decision stands",
            workflow_id=workflow_id,
            status_url=status_url,
            extensions={"decision": standing.model_dump(mode="json")},
        )
    if refusal.kind == REQUEST_WITHDRAWN:
        raise ApprovalWithdrawn(
            f"{workflow_id} was withdrawn before anyone decided",
            workflow_id=workflow_id,
            status_url=status_url,
        )
    raise UpdateRefused(
        f"{workflow_id} refused the decision: {refusal.message}",
        workflow_id=workflow_id,
        status_url=status_url,
    )


def _same_decision(standing: DecisionMade, request: DecisionRequest) -> bool:
    # ``delegated`` is not compared: the request says what the caller may do, the standing
    # decision what it did.
    return (
        standing.outcome == request.outcome
        and is_approver(standing.decided_by, request.decided_by)
        and standing.comment == request.comment
    )


async def _decision_of_ended(calls: WorkflowCalls, workflow_id: str) -> DecisionMade | None:
    result = (await calls.look_up(APPROVAL, workflow_id)).result
    if result is None or result.decided_by is None:
        return None
    if result.status not in ("approved", "rejected"):
        return None
    return DecisionMade(
        outcome=result.status,
        decided_by=result.decided_by,
        delegated=result.delegated,
        comment=result.comment or "",
    )


@router.post(
    "/{workflow_id}/cancel",
    status_code=202,
    response_model=SignalSent,
    responses=_SIGNAL_RESPONSES,
    summary="Withdraw a pending request",
)
async def cancel_approval(
    caller: ApprovalsWriter, workflow_id: ApprovalIdPath, body: CancelBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Send the ``cancel`` signal with a reason; the approval then reads ``cancelled``.

    Only the requester (or an admin) withdraws a request; its approver gets 403.
    """
    role = await role_of(calls, workflow_id, caller)
    if role is Role.STRANGER:
        raise calls.not_found(APPROVAL, workflow_id)
    if role is not Role.REQUESTER:
        raise NotTheRequester(
            f"only whoever asked for {workflow_id} may withdraw it",
            workflow_id=workflow_id,
            status_url=_status_url(workflow_id),
        )
    return await calls.signal(
        APPROVAL,
        workflow_id,
        CANCEL,
        CancelRequest(reason=body.reason),
        status_url=_status_url(workflow_id),
    )


@router.get(
    "/{workflow_id}/status",
    response_model=ApprovalStatus,
    responses=problem_responses(404, 422, 503),
    summary="Status of an approval",
)
async def get_approval_status(
    caller: ApprovalsReader, workflow_id: ApprovalIdPath, calls: WorkflowCallsDep
) -> ApprovalStatus:
    """Pending approvals answer with their ``state`` query; decided ones with their status."""
    await _must_see(calls, workflow_id, caller)
    found = await calls.look_up(APPROVAL, workflow_id)
    return ApprovalStatus(
        workflow_id=workflow_id,
        status=found.status,
        state=found.state.model_dump(mode="json") if found.state is not None else None,
        result_url=_result_url(workflow_id),
    )


@router.get(
    "/{workflow_id}/result",
    response_model=ApprovalResult | WorkflowRunning,
    response_description="Approved, rejected, expired, or withdrawn by a cancel signal.",
    responses={
        202: {"model": WorkflowRunning, "description": "Still waiting for a decision."},
        **problem_responses(404, 409, 422, 503),
    },
    summary="Outcome of an approval (bounded wait)",
)
async def get_approval_result(
    caller: ApprovalsReader,
    workflow_id: ApprovalIdPath,
    calls: WorkflowCallsDep,
    settings: ApiSettingsDep,
    response: Response,
    wait: WaitQuery = None,
) -> ApprovalResult | WorkflowRunning:
    """Approved, rejected, expired or withdrawn once decided; 202 while still pending.

    409 ``workflow-cancelled`` when the run was cancelled through Temporal (it has no result).
    """
    await _must_see(calls, workflow_id, caller)
    answer = await calls.wait_for_result(
        APPROVAL,
        workflow_id,
        wait=resolve_wait(wait, settings),
        status_url=_status_url(workflow_id),
    )
    if isinstance(answer, Finished):
        return ApprovalResult(
            workflow_id=workflow_id, status=completed_status(answer.value), result=answer.value
        )
    return answer_still_running(
        response,
        workflow_id,
        answer.status,
        status_url=_status_url(workflow_id),
        result_url=_result_url(workflow_id),
    )


async def _must_see(calls: WorkflowCalls, workflow_id: str, caller: Principal) -> None:
    """404 unless the caller is the request's requester, approver, a delegate or an admin."""
    if await role_of(calls, workflow_id, caller) is Role.STRANGER:
        raise calls.not_found(APPROVAL, workflow_id)
