"""Models of the approval workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from temporal_core.workflow import WorkflowState

__all__ = [
    "ApprovalInput",
    "ApprovalOutput",
    "ApprovalRequestEmail",
    "ApprovalState",
    "ApprovalStatus",
    "Decision",
]

# "cancelled": the requester withdrew the request with the inherited ``cancel`` signal.
ApprovalStatus = Literal["pending", "approved", "rejected", "expired", "cancelled"]

DEFAULT_TIMEOUT_SECONDS = 24 * 60 * 60


class ApprovalInput(BaseModel):
    """A request for a person to approve or reject something."""

    request_id: str
    approver_email: str
    subject: str = ""
    details: str = ""
    timeout_seconds: int = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0)


class Decision(BaseModel):
    """Argument of the ``approve`` and ``reject`` signals: who decided, and why."""

    decided_by: str
    comment: str = ""


class ApprovalOutput(BaseModel):
    """How the request ended; ``expired`` when nobody decided before the timeout."""

    request_id: str
    status: ApprovalStatus
    decided_by: str | None = None
    comment: str | None = None


class ApprovalState(WorkflowState):
    """The ``state`` query of an approval: the base fields plus the decision so far."""

    request_id: str | None = None
    approver_email: str | None = None
    decided_by: str | None = None
    comment: str | None = None


class ApprovalRequestEmail(BaseModel):
    """Input of ``send_approval_request``: whom to ask, about what, and how to answer."""

    request_id: str
    workflow_id: str
    approver_email: str
    subject: str
    details: str
    timeout_seconds: int
