"""Input of the approvals activity (the workflow's own models are in ``contracts.approvals``)."""

from __future__ import annotations

from pydantic import BaseModel

__all__ = ["ApprovalRequestEmail"]


class ApprovalRequestEmail(BaseModel):
    """Input of ``send_approval_request``: whom to ask, about what, and how to answer."""

    request_id: str
    workflow_id: str
    approver_email: str
    subject: str
    details: str
    timeout_seconds: int
