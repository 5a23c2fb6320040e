"""The report workflow as the API and the reports worker agree on it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from temporal_core import WorkflowContract, WorkflowState

from contracts.common import CANCEL

__all__ = [
    "MAX_CHUNKS",
    "REPORT",
    "REPORTS_QUEUE",
    "REPORT_TOO_LARGE",
    "ReportConfig",
    "ReportFormat",
    "ReportOutcome",
    "ReportOutput",
    "ReportState",
]

REPORTS_QUEUE = "reports"

REPORT_TOO_LARGE = "report-too-large"
"""The type of the error a report fails with when it is over the worker's size quota
(``REPORTS_MAX_ROWS``, ``REPORTS_MAX_BYTES``); the API answers it as this problem code. Its
details hold one mapping: ``{"limit": "rows" | "bytes", "maximum": int}``."""

ReportFormat = Literal["csv", "json"]

MAX_CHUNKS = 5000
"""Each chunk is one activity in the workflow's history; this keeps a report well inside
Temporal's history limit (about 50,000 events)."""


class ReportConfig(BaseModel):
    """What report to build: ``rows`` generated rows, written ``chunk_size`` rows per activity."""

    report_type: str = "sales"
    rows: int = Field(default=1000, ge=1)
    chunk_size: int = Field(default=100, ge=1)
    format: ReportFormat = "csv"

    @model_validator(mode="after")
    def _chunk_count_fits_history(self) -> Self:
        chunks = self.chunk_count
        if chunks > MAX_CHUNKS:
            raise ValueError(
                f"{self.rows} rows in chunks of {self.chunk_size} make {chunks} chunks; "
                f"at most {MAX_CHUNKS} are allowed, so raise chunk_size"
            )
        return self

    @property
    def chunk_count(self) -> int:
        """How many chunks (activities) the report is written in."""
        return -(-self.rows // self.chunk_size)


ReportOutcome = Literal["completed", "cancelled"]
"""``cancelled``: a ``cancel`` signal stopped the report and its part files were deleted."""


class ReportOutput(BaseModel):
    """How a report ended: the file (relative to the reports directory), or cancelled."""

    report_id: str
    status: ReportOutcome = "completed"
    file_name: str | None = None
    """None when the report was cancelled."""
    format: ReportFormat
    rows: int
    """Rows in the file; for a cancelled report, the rows written before it stopped."""
    size_bytes: int = 0
    expires_at: datetime | None = None
    """When the report worker deletes the file (``REPORTS_RETENTION_SECONDS`` after it was
    written); None when files are kept for good."""


class ReportState(WorkflowState):
    """The ``state`` query of a report: the base fields plus chunk counts and the file name."""

    chunks_done: int = 0
    chunks_total: int = 0
    file_name: str | None = None


REPORT = WorkflowContract(
    name="ReportGenerationWorkflow",
    queue=REPORTS_QUEUE,
    input_type=ReportConfig,
    result_type=ReportOutput,
    state_type=ReportState,
    signals=(CANCEL,),
)
"""Generate, follow, cancel and await a report (``worker_reports`` runs it)."""
