"""The approval workflow as the API and the approvals worker agree on it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from temporal_core import SignalContract, UpdateContract, WorkflowContract, WorkflowState

from contracts.common import CANCEL

__all__ = [
    "APPROVAL",
    "APPROVALS_QUEUE",
    "APPROVE",
    "DECIDE",
    "DECISION_ALREADY_MADE",
    "DEFAULT_TIMEOUT_SECONDS",
    "NOT_THE_APPROVER",
    "REJECT",
    "REQUEST_WITHDRAWN",
    "ApprovalInput",
    "ApprovalOutcome",
    "ApprovalOutput",
    "ApprovalState",
    "Decision",
    "DecisionMade",
    "DecisionOutcome",
    "DecisionRequest",
    "is_approver",
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


DecisionOutcome = Literal["approved", "rejected"]
"""What a decision can be."""


class DecisionRequest(BaseModel):
    """Argument of the ``decide`` update: approve or reject, who decides, and why.

    ``decided_by`` is the caller's e-mail as its verified token states it (the API never takes
    it from a request body); the workflow accepts the decision only when it is the request's
    ``approver_email`` (compared case-insensitively), unless ``delegated`` says the caller may
    decide for someone else (it holds ``approvals:delegate``).
    """

    outcome: DecisionOutcome
    decided_by: str
    delegated: bool = False
    """The caller may decide requests addressed to others; such a decision is recorded as
    delegated (a decision by the named approver never is)."""
    comment: str = ""


class DecisionMade(BaseModel):
    """A decision that stands: the ``decide`` update's answer, and the details of its refusal."""

    outcome: DecisionOutcome
    decided_by: str
    delegated: bool = False
    """Someone other than the named approver decided, on the ``approvals:delegate`` scope (or
    through a signal, which carries no such check)."""
    comment: str = ""


def is_approver(decided_by: str, approver_email: str) -> bool:
    """Whether ``decided_by`` names the approver: e-mail addresses compared case-insensitively."""
    return decided_by.strip().casefold() == approver_email.strip().casefold()


DECISION_ALREADY_MADE = "DecisionAlreadyMade"
"""``ApplicationError.type`` of a ``decide`` the workflow refused because a decision stands; its
first detail is that ``DecisionMade``."""

NOT_THE_APPROVER = "NotTheApprover"
"""``ApplicationError.type`` of a ``decide`` refused because the caller is not the named approver
and may not decide for others."""

REQUEST_WITHDRAWN = "RequestWithdrawn"
"""``ApplicationError.type`` of a ``decide`` refused because a ``cancel`` withdrew the request."""


class ApprovalOutput(BaseModel):
    """How the request ended; ``expired`` when nobody decided before the timeout."""

    request_id: str
    status: ApprovalOutcome
    decided_by: str | None = None
    delegated: bool = False
    """Decided by someone other than the named approver (see ``DecisionMade.delegated``)."""
    comment: str | None = None


class ApprovalState(WorkflowState):
    """The ``state`` query of an approval: the base fields plus the decision so far."""

    request_id: str | None = None
    approver_email: str | None = None
    decided_by: str | None = None
    delegated: bool | None = None
    comment: str | None = None


APPROVE = SignalContract(name="approve", arg_type=Decision)
REJECT = SignalContract(name="reject", arg_type=Decision)
DECIDE = UpdateContract(name="decide", arg_type=DecisionRequest, result_type=DecisionMade)
"""Decide atomically: the first ``decide`` wins and every later one is refused, synchronously."""

APPROVAL = WorkflowContract(
    name="ApprovalWorkflow",
    queue=APPROVALS_QUEUE,
    input_type=ApprovalInput,
    result_type=ApprovalOutput,
    state_type=ApprovalState,
    signals=(APPROVE, REJECT, CANCEL),
    updates=(DECIDE,),
)
"""Ask for, decide on, withdraw and await an approval (``worker_approvals`` runs it)."""
