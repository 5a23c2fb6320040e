"""Problems only the approval routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = [
    "ApprovalWithdrawn",
    "DecisionAlreadyMade",
    "NotTheApprover",
    "NotTheRequester",
    "RequestIdTaken",
]


class DecisionAlreadyMade(ApiProblem):
    """Another decision stands; the body's ``decision`` says which, and who made it (409)."""

    status = 409
    kind = "decision-already-made"
    title = "Decision already made"


class ApprovalWithdrawn(ApiProblem):
    """A ``cancel`` withdrew the request before anyone decided (409)."""

    status = 409
    kind = "approval-withdrawn"
    title = "Approval withdrawn"


class NotTheApprover(ApiProblem):
    """The caller may see the request but is not its named approver, nor a delegate (403)."""

    status = 403
    kind = "not-the-approver"
    title = "Not the approver"


class NotTheRequester(ApiProblem):
    """Only the requester (or an admin) may withdraw a request; the approver may not (403)."""

    status = 403
    kind = "not-the-requester"
    title = "Not the requester"


class RequestIdTaken(ApiProblem):
    """Another caller's approval request already has this ``request_id`` (409)."""

    status = 409
    kind = "request-id-taken"
    title = "Request id taken"
