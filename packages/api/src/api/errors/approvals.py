"""Problems only the approval routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["ApprovalWithdrawn", "DecisionAlreadyMade"]


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
