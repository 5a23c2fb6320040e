"""Problems only the report routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = [
    "ReportCancelled",
    "ReportExpired",
    "ReportFileMissing",
    "ReportNotReady",
    "ReportTooLarge",
]


class ReportNotReady(ApiProblem):
    """The report is still being generated, so there is nothing to download yet (409)."""

    status = 409
    kind = "report-not-ready"
    title = "Report not ready"


class ReportCancelled(ApiProblem):
    """The report was cancelled (by signal or through Temporal), so it has no file (409)."""

    status = 409
    kind = "report-cancelled"
    title = "Report cancelled"


class ReportFileMissing(ApiProblem):
    """The workflow finished but its file is not in this API's reports directory (404)."""

    status = 404
    kind = "report-file-missing"
    title = "Report file missing"


class ReportExpired(ApiProblem):
    """The file was deleted once its retention period ended (410); generate the report again."""

    status = 410
    kind = "report-expired"
    title = "Report expired"


class ReportTooLarge(ApiProblem):
    """The report worker refused the report: over its row or byte quota (409)."""

    status = 409
    kind = "report-too-large"
    title = "Report too large"
