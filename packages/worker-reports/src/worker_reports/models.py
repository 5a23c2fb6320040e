"""Models of the report workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["ReportConfig", "ReportFormat", "ReportOutput"]

ReportFormat = Literal["csv", "json"]


class ReportConfig(BaseModel):
    """What report to build: ``rows`` generated rows, written ``chunk_size`` rows per activity."""

    report_type: str = "sales"
    rows: int = Field(default=1000, ge=1)
    chunk_size: int = Field(default=100, ge=1)
    format: ReportFormat = "csv"


class ReportOutput(BaseModel):
    """The finished report: where the file is, relative to the reports directory."""

    report_id: str
    file_name: str
    format: ReportFormat
    rows: int
    size_bytes: int
