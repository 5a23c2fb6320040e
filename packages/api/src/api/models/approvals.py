"""Approval requests and answers; the workflow receives the contract's ``ApprovalInput``."""

from __future__ import annotations

from typing import Any, Literal

from contracts.approvals import ApprovalInput, ApprovalOutput, Decision
from pydantic import BaseModel, ConfigDict, Field

from api.models.common import BusinessKey, EmailAddress, WorkflowStatusName

__all__ = ["ApprovalRequest", "ApprovalResult", "ApprovalStatus", "DecisionBody"]

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
    """Who decided, and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decided_by": "lead@example.com", "comment": "Fine."}]},
    )

    decided_by: str = Field(min_length=1, max_length=200, pattern=r"\S")
    comment: str = Field(default="", max_length=2000)

    def to_decision(self) -> Decision:
        """The contract's ``approve``/``reject`` signal argument."""
        return Decision(decided_by=self.decided_by, comment=self.comment)


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
