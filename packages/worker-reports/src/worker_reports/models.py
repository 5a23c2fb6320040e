"""Models of the report workflow: the contract shared by the API and this worker."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator
from temporal_core.workflow import WorkflowState

__all__ = [
    "MAX_CHUNKS",
    "AssembleRequest",
    "ChunkRequest",
    "ChunkResult",
    "DiscardRequest",
    "ReportConfig",
    "ReportFormat",
    "ReportOutput",
    "ReportState",
]

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


class ReportOutput(BaseModel):
    """The finished report: where the file is, relative to the reports directory."""

    report_id: str
    file_name: str
    format: ReportFormat
    rows: int
    size_bytes: int


class ReportState(WorkflowState):
    """The ``state`` query of a report: the base fields plus chunk counts and the file name."""

    chunks_done: int = 0
    chunks_total: int = 0
    file_name: str | None = None


class ChunkRequest(BaseModel):
    """Input of ``write_report_chunk``: rows ``first_row`` .. ``first_row + rows - 1``."""

    report_id: str
    report_type: str
    index: int = Field(ge=0)
    first_row: int = Field(ge=0)
    rows: int = Field(ge=1)


class ChunkResult(BaseModel):
    """A chunk that is safely on disk."""

    index: int
    rows: int
    resumed_from_row: int = 0
    """Rows this attempt found already written by an earlier attempt (heartbeat details)."""


class DiscardRequest(BaseModel):
    """Input of ``discard_report_parts``: the report whose part files go."""

    report_id: str


class AssembleRequest(BaseModel):
    """Input of ``assemble_report``: join ``chunks`` parts into the final file."""

    report_id: str
    format: ReportFormat
    chunks: int = Field(ge=1)
    rows: int = Field(ge=1)
