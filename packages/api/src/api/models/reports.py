"""Report requests and answers; the workflow receives the contract's ``ReportConfig``."""

from __future__ import annotations

from typing import Any, Literal

from contracts.reports import ReportConfig, ReportFormat, ReportOutput
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.models.common import WorkflowStatusName

__all__ = ["ReportFailure", "ReportRequest", "ReportStarted", "ReportStatus"]

MAX_ROWS = 1_000_000


class ReportRequest(BaseModel):
    """What report to generate; bounded so one request cannot fill the disk."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"report_type": "sales", "rows": 1000, "chunk_size": 100, "format": "csv"}]
        },
    )

    report_type: str = Field(
        default="sales", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
    )
    rows: int = Field(default=1000, ge=1, le=MAX_ROWS)
    chunk_size: int = Field(
        default=100,
        ge=1,
        le=MAX_ROWS,
        description="Rows per chunk; `rows / chunk_size` may make at most 1000 chunks.",
    )
    format: ReportFormat = "csv"

    @model_validator(mode="after")
    def _at_most_1000_chunks(self) -> ReportRequest:
        # Each chunk is one activity; a tiny chunk size on many rows would flood the queue.
        if -(-self.rows // self.chunk_size) > 1000:
            raise ValueError("rows / chunk_size must be at most 1000 chunks; raise chunk_size")
        return self

    def to_config(self) -> ReportConfig:
        """The contract's input model, which is what the workflow receives."""
        return ReportConfig(
            report_type=self.report_type,
            rows=self.rows,
            chunk_size=self.chunk_size,
            format=self.format,
        )


class ReportStarted(BaseModel):
    """Answer of ``POST /reports/generate``."""

    report_id: str = Field(examples=["report-3f2a9c"], description="Also the workflow id.")
    workflow_id: str = Field(examples=["report-3f2a9c"])
    started: bool = Field(
        description="False when the Idempotency-Key found its report, running or finished."
    )
    status: Literal["generating", "finished"] = Field(
        default="generating",
        description="`finished`: the key's report ran to its end; `workflow_status` says how.",
    )
    workflow_status: WorkflowStatusName | None = Field(
        default=None, description="How the report ended, when `status` is `finished`."
    )
    status_url: str = Field(examples=["/reports/report-3f2a9c/status"])
    download_url: str = Field(examples=["/reports/report-3f2a9c/download"])


class ReportFailure(BaseModel):
    """Why a report failed, as a stable code and a message safe to show."""

    code: str = Field(
        examples=["report-too-large"],
        description="`report-too-large` (over the worker's quota) or `report-failed`.",
    )
    detail: str


class ReportStatus(BaseModel):
    """Progress while generating; the finished report's details once completed.

    ``result`` is also set for a report a ``cancel`` signal stopped (status ``cancelled``, the
    rows written before it stopped); ``download_url`` only once the file is ready.
    """

    report_id: str
    status: WorkflowStatusName
    progress: int = Field(ge=0, le=100, description="Percent done (100 once completed).")
    state: dict[str, Any] | None = None
    result: ReportOutput | None = None
    download_url: str | None = Field(default=None, description="Set once the file is ready.")
    failure: ReportFailure | None = Field(
        default=None, description="Set when the report failed: why, as a stable code."
    )
