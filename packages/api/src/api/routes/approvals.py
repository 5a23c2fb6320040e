"""``/approvals``: a human-in-the-loop workflow driven by ``approve`` / ``reject`` signals."""

from __future__ import annotations

from typing import Any

from contracts.approvals import APPROVAL, APPROVE, REJECT
from contracts.common import CANCEL, CancelRequest
from fastapi import APIRouter, Response

from api.deps import ApiSettingsDep, WorkflowCallsDep
from api.models.approvals import ApprovalRequest, ApprovalResult, ApprovalStatus, DecisionBody
from api.models.common import (
    ApprovalIdPath,
    CancelBody,
    IdempotencyKeyHeader,
    SignalSent,
    WaitQuery,
    WorkflowRunning,
    WorkflowStarted,
)
from api.problems import problem_responses
from api.responses import answer_started, answer_still_running, resolve_wait
from api.workflow_calls import Finished, completed_status

__all__ = ["approval_workflow_id", "router"]

router = APIRouter(prefix="/approvals", tags=["approvals"])

_SIGNAL_RESPONSES = problem_responses(400, 404, 409, 413, 422, 503)


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
        200: {"model": WorkflowStarted, "description": "Already pending; nothing new started."},
        **problem_responses(400, 409, 413, 422, 503),
    },
    summary="Ask for an approval",
)
async def create_approval(
    request: ApprovalRequest,
    calls: WorkflowCallsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> WorkflowStarted:
    """Start the approval workflow; it waits for a decision until ``timeout_seconds``."""
    workflow_id = approval_workflow_id(request.request_id)
    memo: dict[str, Any] = {"idempotency_key": idempotency_key} if idempotency_key else {}
    outcome = await calls.start_once(
        APPROVAL,
        request.to_input(),
        workflow_id=workflow_id,
        status_url=_status_url(workflow_id),
        memo=memo,
    )
    return answer_started(
        outcome, response, status_url=_status_url(workflow_id), result_url=_result_url(workflow_id)
    )


@router.post(
    "/{workflow_id}/approve",
    status_code=202,
    response_model=SignalSent,
    responses=_SIGNAL_RESPONSES,
    summary="Approve a pending request",
)
async def approve(
    workflow_id: ApprovalIdPath, body: DecisionBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Send the ``approve`` signal with who decided and why; 409 once it has been decided."""
    return await calls.signal(
        APPROVAL, workflow_id, APPROVE, body.to_decision(), status_url=_status_url(workflow_id)
    )


@router.post(
    "/{workflow_id}/reject",
    status_code=202,
    response_model=SignalSent,
    responses=_SIGNAL_RESPONSES,
    summary="Reject a pending request",
)
async def reject(
    workflow_id: ApprovalIdPath, body: DecisionBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Send the ``reject`` signal with who decided and why; 409 once it has been decided."""
    return await calls.signal(
        APPROVAL, workflow_id, REJECT, body.to_decision(), status_url=_status_url(workflow_id)
    )


@router.post(
    "/{workflow_id}/cancel",
    status_code=202,
    response_model=SignalSent,
    responses=_SIGNAL_RESPONSES,
    summary="Withdraw a pending request",
)
async def cancel_approval(
    workflow_id: ApprovalIdPath, body: CancelBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Send the ``cancel`` signal with a reason; the approval then reads ``cancelled``."""
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
    workflow_id: ApprovalIdPath, calls: WorkflowCallsDep
) -> ApprovalStatus:
    """Pending approvals answer with their ``state`` query; decided ones with their status."""
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
    workflow_id: ApprovalIdPath,
    calls: WorkflowCallsDep,
    settings: ApiSettingsDep,
    response: Response,
    wait: WaitQuery = None,
) -> ApprovalResult | WorkflowRunning:
    """Approved, rejected, expired or withdrawn once decided; 202 while still pending.

    409 ``workflow-cancelled`` when the run was cancelled through Temporal (it has no result).
    """
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
