"""Problems of the abuse limits: too many starts, too many running reports (429)."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["TooManyRunningReports", "TooManyStarts"]


class TooManyStarts(ApiProblem):
    """The caller started workflows faster than its per-process rate allows (429)."""

    status = 429
    kind = "too-many-starts"
    title = "Too many starts"


class TooManyRunningReports(ApiProblem):
    """The caller already has as many reports generating as it may (429)."""

    status = 429
    kind = "too-many-running-reports"
    title = "Too many running reports"
