"""``/approvals``: a human-in-the-loop workflow driven by ``approve`` / ``reject`` signals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from worker_approvals.workflows import ApprovalWorkflow

from api.deps import ApiSettingsDep, TemporalClientDep
from api.models.approvals import ApprovalRequest, ApprovalResult, ApprovalStatus, DecisionBody
from api.models.common import (
    ApprovalIdPath,
    IdempotencyKeyHeader,
    SignalSent,
    WaitQuery,
    WorkflowRunning,
    WorkflowStarted,
)
from api.problems import problem_responses
from api.responses import resolve_wait, running_response, start_response
from api.workflow_calls import Finished, WorkflowCalls

__all__ = ["approval_workflow_id", "router"]

router = APIRouter(prefix="/approvals", tags=["approvals"])


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
    client: TemporalClientDep,
    settings: ApiSettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Start the approval workflow; it waits for a decision until ``timeout_seconds``."""
    workflow_id = approval_workflow_id(request.request_id)
    memo: dict[str, Any] = {"idempotency_key": idempotency_key} if idempotency_key else {}
    outcome = await WorkflowCalls(client, settings).start_once(
        ApprovalWorkflow,
        input=request.to_input(),
        workflow_id=workflow_id,
        status_url=_status_url(workflow_id),
        memo=memo,
    )
    return start_response(
        outcome, status_url=_status_url(workflow_id), result_url=_result_url(workflow_id)
    )


async def _decide(
    workflow_id: str,
    body: DecisionBody,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
    *,
    approve: bool,
) -> SignalSent:
    signal = ApprovalWorkflow.approve if approve else ApprovalWorkflow.reject
    return await WorkflowCalls(client, settings).signal(
        ApprovalWorkflow,
        workflow_id,
        signal,
        body.to_decision(),
        status_url=_status_url(workflow_id),
    )


@router.post(
    "/{workflow_id}/approve",
    status_code=202,
    response_model=SignalSent,
    responses=problem_responses(400, 404, 409, 413, 422, 503),
    summary="Approve a pending request",
)
async def approve(
    workflow_id: ApprovalIdPath,
    body: DecisionBody,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
) -> SignalSent:
    """Send the ``approve`` signal with who decided and why; 409 once it has been decided."""
    return await _decide(workflow_id, body, client, settings, approve=True)


@router.post(
    "/{workflow_id}/reject",
    status_code=202,
    response_model=SignalSent,
    responses=problem_responses(400, 404, 409, 413, 422, 503),
    summary="Reject a pending request",
)
async def reject(
    workflow_id: ApprovalIdPath,
    body: DecisionBody,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
) -> SignalSent:
    """Send the ``reject`` signal with who decided and why; 409 once it has been decided."""
    return await _decide(workflow_id, body, client, settings, approve=False)


@router.get(
    "/{workflow_id}/status",
    response_model=ApprovalStatus,
    responses=problem_responses(404, 422, 503),
    summary="Status of an approval",
)
async def get_approval_status(
    workflow_id: ApprovalIdPath, client: TemporalClientDep, settings: ApiSettingsDep
) -> ApprovalStatus:
    """Pending approvals answer with their ``state`` query; decided ones with their status."""
    status, state = await WorkflowCalls(client, settings).status_and_state(
        ApprovalWorkflow, workflow_id
    )
    return ApprovalStatus(
        workflow_id=workflow_id, status=status, state=state, result_url=_result_url(workflow_id)
    )


@router.get(
    "/{workflow_id}/result",
    response_model=ApprovalResult,
    responses={
        202: {"model": WorkflowRunning, "description": "Still waiting for a decision."},
        **problem_responses(404, 409, 422, 503),
    },
    summary="Outcome of an approval (bounded wait)",
)
async def get_approval_result(
    workflow_id: ApprovalIdPath,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
    wait: WaitQuery = None,
) -> ApprovalResult | JSONResponse:
    """Approved, rejected or expired once decided; 202 while still pending."""
    answer = await WorkflowCalls(client, settings).wait_for_result(
        ApprovalWorkflow,
        workflow_id,
        wait=resolve_wait(wait, settings),
        status_url=_status_url(workflow_id),
    )
    if isinstance(answer, Finished):
        return ApprovalResult(workflow_id=workflow_id, result=answer.value)
    return running_response(
        workflow_id,
        answer.status,
        status_url=_status_url(workflow_id),
        result_url=_result_url(workflow_id),
    )
