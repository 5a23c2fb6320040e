"""The approval workflow as the API and the approvals worker agree on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from temporal_core import SignalContract, WorkflowContract, WorkflowState

from contracts.common import CANCEL

__all__ = [
    "APPROVAL",
    "APPROVALS_QUEUE",
    "APPROVE",
    "DEFAULT_TIMEOUT_SECONDS",
    "REJECT",
    "ApprovalInput",
    "ApprovalOutcome",
    "ApprovalOutput",
    "ApprovalState",
    "Decision",
]

APPROVALS_QUEUE = "approvals"

ApprovalOutcome = Literal["pending", "approved", "rejected", "expired", "cancelled"]
"""``cancelled``: the requester withdrew the request with the ``cancel`` signal."""

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
    status: ApprovalOutcome
    decided_by: str | None = None
    comment: str | None = None


class ApprovalState(WorkflowState):
    """The ``state`` query of an approval: the base fields plus the decision so far."""

    request_id: str | None = None
    approver_email: str | None = None
    decided_by: str | None = None
    comment: str | None = None


APPROVE = SignalContract(name="approve", arg_type=Decision)
REJECT = SignalContract(name="reject", arg_type=Decision)

APPROVAL = WorkflowContract(
    name="ApprovalWorkflow",
    queue=APPROVALS_QUEUE,
    input_type=ApprovalInput,
    result_type=ApprovalOutput,
    state_type=ApprovalState,
    signals=(APPROVE, REJECT, CANCEL),
)
"""Ask for, decide on, withdraw and await an approval (``worker_approvals`` runs it)."""
