"""``ReportGenerationWorkflow``: a long-running report written chunk by chunk.

Each chunk is one activity, so finished chunks are facts in the workflow history and are never
redone; the chunk in progress heartbeats and resumes from its heartbeat details after a worker
restart. The ``state`` query reports ``progress`` 0-100 as chunks complete.

A ``cancel`` signal stops before the next chunk (the chunk in progress finishes) or before
assembling, deletes the part files written so far and completes with a ``cancelled`` result. A
cancellation through Temporal itself (the Web UI, the CLI, ``handle.cancel()``) interrupts the
chunk in progress at its next heartbeat, deletes the part files (and the finished file, when it
came during assembling) and the run ends Temporal-CANCELED. See docs/cancellation.md.
"""

from __future__ import annotations

import asyncio

from temporal_core.authoring.base_workflow import BaseWorkflow
from temporal_core.authoring.cancellation import cancelled_through_temporal, despite_cancellation
from temporal_core.authoring.registry import workflow_defn
from temporalio import workflow
from temporalio.common import VersioningBehavior
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from contracts.reports import REPORT, ReportConfig, ReportOutput, ReportState

    from worker_reports.activities import ReportActivities
    from worker_reports.models import AssembleRequest, ChunkRequest, DiscardRequest

__all__ = ["ReportGenerationWorkflow"]

# Parts are deleted only once the activity writing them has really stopped (a chunk acknowledges
# a cancellation at its next heartbeat); with the default (TRY_CANCEL) it could write on into a
# directory that was just deleted.
_WAIT_UNTIL_STOPPED = workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED


@workflow_defn(queue=REPORT.queue)
# PINNED: a report is bounded work (at most MAX_CHUNKS chunks, nobody to wait for), so an old
# build drains within the longest report; and its chunks, assembling and clean-up must all be one
# build's code, or one file could mix two builds' row formats.
@workflow.defn(name=REPORT.name, versioning_behavior=VersioningBehavior.PINNED)
class ReportGenerationWorkflow(BaseWorkflow[ReportConfig, ReportOutput]):
    """Writes ``config.rows`` rows in ``config.chunk_size`` chunks, then joins them into a file."""

    def __init__(self) -> None:
        """No chunks written yet."""
        super().__init__()
        self.chunks_done = 0
        self.chunks_total = 0
        self.rows_written = 0
        self.file_name: str | None = None
        self._assembling_started = False

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
        try:
            output = await self._write(config, report_id)
        except (ActivityError, asyncio.CancelledError):
            # Cancelled through Temporal: while a chunk was written (it stopped at a heartbeat),
            # while assembling, or between two activities. Anything else is a real failure, or
            # the worker evicting the run from its cache, and must not start deleting files.
            if not cancelled_through_temporal():
                raise
            output = None
        if output is None:
            return await self._cancelled(config, report_id)
        self.file_name = output.file_name
        self.step = None
        self.progress = 100
        self.status = "completed"
        return output

    def _stop_requested(self) -> bool:
        return self.cancel_requested or cancelled_through_temporal()

    async def _write(self, config: ReportConfig, report_id: str) -> ReportOutput | None:
        """The chunks, then the file; None when a cancel stopped them at a safe point."""
        self.chunks_total = config.chunk_count
        for index in range(self.chunks_total):
            if self._stop_requested():
                return None
            self.step = f"chunk {index + 1} of {self.chunks_total}"
            first_row = index * config.chunk_size
            rows = min(config.chunk_size, config.rows - first_row)
            await self.execute_activity(
                ReportActivities.write_report_chunk,
                ChunkRequest(
                    report_id=report_id,
                    report_type=config.report_type,
                    index=index,
                    first_row=first_row,
                    rows=rows,
                    total_rows=config.rows,
                ),
                cancellation_type=_WAIT_UNTIL_STOPPED,
            )
            self.chunks_done = index + 1
            self.rows_written += rows
            # The last share of progress belongs to assembling the file.
            self.progress = self.chunks_done * 100 // (self.chunks_total + 1)
        if self._stop_requested():
            return None
        self.step = "assembling"
        self._assembling_started = True
        output: ReportOutput = await self.execute_activity(
            ReportActivities.assemble_report,
            AssembleRequest(
                report_id=report_id,
                format=config.format,
                chunks=self.chunks_total,
                rows=config.rows,
            ),
            cancellation_type=_WAIT_UNTIL_STOPPED,
        )
        if cancelled_through_temporal():
            # Assembling finished after Temporal's cancel arrived: the file is deleted too. (A
            # cancel signal that arrives while assembling is too late.)
            return None
        return output

    async def _cancelled(self, config: ReportConfig, report_id: str) -> ReportOutput:
        """Delete what was written; complete ``cancelled`` (signal) or end CANCELED (Temporal)."""
        workflow.logger.info(
            "report %s cancelled%s after %d of %d chunks: %s",
            report_id,
            " through Temporal" if cancelled_through_temporal() else "",
            self.chunks_done,
            self.chunks_total,
            self.cancel_reason,
        )
        self.cancel_requested = True
        self.step = "discarding parts"
        discard = DiscardRequest(
            report_id=report_id,
            finished_format=config.format if self._assembling_started else None,
        )
        # Runs to its end even when a Temporal cancellation arrives meanwhile.
        await despite_cancellation(
            self.execute_activity(ReportActivities.discard_report_parts, discard)
        )
        self.status = "cancelled"
        self.step = None
        # Checked again: a Temporal cancellation may have arrived while a signal's undo ran.
        if cancelled_through_temporal():
            raise asyncio.CancelledError(f"report {report_id} cancelled")
        return ReportOutput(
            report_id=report_id,
            status="cancelled",
            file_name=None,
            format=config.format,
            rows=self.rows_written,
            size_bytes=0,
        )
