"""Inputs and outputs of the reports activities.

The workflow's own models (config, output, state) are in ``contracts.reports``.
"""

from __future__ import annotations

from contracts.reports import ReportFormat
from pydantic import BaseModel, Field

__all__ = [
    "AssembleRequest",
    "ChunkRequest",
    "ChunkResult",
    "DiscardRequest",
]


class ChunkRequest(BaseModel):
    """Input of ``write_report_chunk``: rows ``first_row`` .. ``first_row + rows - 1``."""

    report_id: str
    report_type: str
    index: int = Field(ge=0)
    first_row: int = Field(ge=0)
    rows: int = Field(ge=1)
    total_rows: int | None = Field(default=None, ge=1)
    """Rows of the whole report, for the size quota; None in histories from before it."""


class ChunkResult(BaseModel):
    """A chunk that is safely on disk."""

    index: int
    rows: int
    resumed_from_row: int = 0
    """Rows this attempt found already written by an earlier attempt (heartbeat details)."""


class DiscardRequest(BaseModel):
    """Input of ``discard_report_parts``: the report whose part files go."""

    report_id: str
    finished_format: ReportFormat | None = None
    """Set once assembling had started: the finished file in this format goes as well."""


class AssembleRequest(BaseModel):
    """Input of ``assemble_report``: join ``chunks`` parts into the final file."""

    report_id: str
    format: ReportFormat
    chunks: int = Field(ge=1)
    rows: int = Field(ge=1)
