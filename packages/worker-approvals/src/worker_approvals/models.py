"""Models of the approval workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ApprovalInput", "ApprovalOutput", "ApprovalStatus", "Decision"]

ApprovalStatus = Literal["pending", "approved", "rejected", "expired"]

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
