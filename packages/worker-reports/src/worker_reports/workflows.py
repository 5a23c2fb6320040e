"""``ReportGenerationWorkflow``: a long-running report written chunk by chunk.

Each chunk is one activity, so finished chunks are facts in the workflow history and are never
redone; the chunk in progress heartbeats and resumes from its heartbeat details after a worker
restart. The ``state`` query reports ``progress`` 0-100 as chunks complete. A ``cancel`` signal
stops before the next chunk, deletes the part files written so far and fails the run with
``ReportCancelled``.
"""

from __future__ import annotations

from temporal_core.authoring.base_workflow import BaseWorkflow
from temporal_core.authoring.registry import workflow_defn
from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts.reports import REPORT, ReportConfig, ReportOutput, ReportState

    from worker_reports.activities import ReportActivities
    from worker_reports.models import AssembleRequest, ChunkRequest, DiscardRequest

__all__ = ["ReportGenerationWorkflow"]


@workflow_defn(queue=REPORT.queue)
@workflow.defn(name=REPORT.name)
class ReportGenerationWorkflow(BaseWorkflow[ReportConfig, ReportOutput]):
    """Writes ``config.rows`` rows in ``config.chunk_size`` chunks, then joins them into a file."""

    def __init__(self) -> None:
        """No chunks written yet."""
        super().__init__()
        self.chunks_done = 0
        self.chunks_total = 0
        self.file_name: str | None = None

    def current_state(self) -> ReportState:
        """The base state plus chunk counts and, when finished, the file name."""
        return ReportState(
            **super().current_state().model_dump(),
            chunks_done=self.chunks_done,
            chunks_total=self.chunks_total,
            file_name=self.file_name,
        )

    @workflow.run
    async def run(self, config: ReportConfig) -> ReportOutput:
        """Write every chunk in order, then assemble the report file."""
        report_id = workflow.info().workflow_id
        self.chunks_total = config.chunk_count
        for index in range(self.chunks_total):
            if self.cancel_requested:
                self.status = "cancelled"
                self.step = "discarding parts"
                await self.execute_activity(
                    ReportActivities.discard_report_parts, DiscardRequest(report_id=report_id)
                )
                raise ApplicationError(
                    f"report cancelled after {self.chunks_done} of {self.chunks_total} chunks"
                    + (f": {self.cancel_reason}" if self.cancel_reason else ""),
                    type="ReportCancelled",
                    non_retryable=True,
                )
            self.step = f"chunk {index + 1} of {self.chunks_total}"
            first_row = index * config.chunk_size
            await self.execute_activity(
                ReportActivities.write_report_chunk,
                ChunkRequest(
                    report_id=report_id,
                    report_type=config.report_type,
                    index=index,
                    first_row=first_row,
                    rows=min(config.chunk_size, config.rows - first_row),
                ),
            )
            self.chunks_done = index + 1
            # The last share of progress belongs to assembling the file.
            self.progress = self.chunks_done * 100 // (self.chunks_total + 1)
        self.step = "assembling"
        output: ReportOutput = await self.execute_activity(
            ReportActivities.assemble_report,
            AssembleRequest(
                report_id=report_id,
                format=config.format,
                chunks=self.chunks_total,
                rows=config.rows,
            ),
        )
        self.file_name = output.file_name
        self.step = None
        self.progress = 100
        self.status = "completed"
        return output
