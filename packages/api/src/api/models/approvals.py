"""Approval requests and answers; the workflow receives the contract's ``ApprovalInput``."""

from __future__ import annotations

from typing import Any, Literal

from contracts.approvals import (
    ApprovalInput,
    ApprovalOutput,
    DecisionMade,
)
from pydantic import BaseModel, ConfigDict, Field

from api.models.common import BusinessKey, EmailAddress, WorkflowStatusName

__all__ = [
    "ApprovalRequest",
    "ApprovalResult",
    "ApprovalStatus",
    "DecisionBody",
    "DecisionConflictProblem",
    "DecisionRecorded",
]

MAX_TIMEOUT_SECONDS = 30 * 24 * 3600


class ApprovalRequest(BaseModel):
    """Ask ``approver_email`` to approve or reject ``subject`` before ``timeout_seconds``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "request_id": "PR-42",
                    "approver_email": "lead@example.com",
                    "subject": "Refund of 120 EUR",
                    "details": "Customer returned the item unopened.",
                    "timeout_seconds": 86400,
                }
            ]
        },
    )

    request_id: BusinessKey = Field(description="Business key; the workflow id is `approval-<id>`.")
    approver_email: EmailAddress
    subject: str = Field(default="", max_length=200)
    details: str = Field(default="", max_length=5000)
    timeout_seconds: int = Field(
        default=24 * 3600, ge=1, le=MAX_TIMEOUT_SECONDS, description="Expires after this long."
    )

    def to_input(self) -> ApprovalInput:
        """The contract's input model, which is what the workflow receives."""
        return ApprovalInput(
            request_id=self.request_id,
            approver_email=str(self.approver_email),
            subject=self.subject,
            details=self.details,
            timeout_seconds=self.timeout_seconds,
        )


class DecisionBody(BaseModel):
    """Why the caller decides so; who decides is the caller, as its token says.

    ``decided_by`` is not accepted (422): a body cannot claim to be the approver.
    """

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"comment": "Fine."}]}
    )

    comment: str = Field(default="", max_length=2000)


class DecisionRecorded(BaseModel):
    """200 answer of approve/reject: this decision stands, and the workflow now completes with it.

    Repeating the decision that stands (same outcome, decider and comment) answers the same, so
    a retry after a lost answer is safe; any other decision gets 409 ``decision-already-made``.
    ``decision.decided_by`` is the caller's e-mail from its token; ``decision.delegated`` is true
    when someone other than the named approver decided (``approvals:delegate``).
    """

    workflow_id: str = Field(examples=["approval-PR-42"])
    status: Literal["decided"] = "decided"
    decision: DecisionMade
    status_url: str
    result_url: str


class DecisionConflictProblem(BaseModel):
    """A 409 of approve/reject (problem+json); ``decision-already-made`` names the standing one."""

    type: str = Field(examples=["/problems/decision-already-made"])
    title: str
    status: int = Field(examples=[409])
    detail: str = Field(examples=["approval-PR-42 was already approved by lead@example.com"])
    instance: str | None = None
    workflow_id: str | None = None
    workflow_status: str | None = None
    status_url: str | None = None
    decision: DecisionMade | None = Field(
        default=None, description="The decision that stands (`decision-already-made` only)."
    )


class ApprovalStatus(BaseModel):
    """What an approval workflow is doing now, or how it ended."""

    workflow_id: str = Field(examples=["approval-PR-42"])
    status: WorkflowStatusName
    state: dict[str, Any] | None = Field(
        default=None, description="The `state` query while it runs; null once finished."
    )
    result_url: str


class ApprovalResult(BaseModel):
    """200 answer of the result endpoint: approved, rejected, expired or withdrawn (cancelled)."""

    workflow_id: str = Field(examples=["approval-PR-42"])
    status: Literal["completed", "cancelled"] = Field(
        description="`cancelled` when a cancel request withdrew it; else `completed`."
    )
    result: ApprovalOutput
