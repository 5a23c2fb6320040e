"""Activities of the ``reports`` queue: write one chunk of rows, then join the chunks.

They are methods of :class:`ReportActivities`, built with the storage they write to, the
side-effect log they record progress in and the pause per row; :mod:`worker_reports.wiring`
chooses these once per worker.

``write_report_chunk`` heartbeats at least every :data:`HEARTBEAT_INTERVAL` with the number of
rows safely on disk. When its worker dies the heartbeats stop, Temporal retries the chunk after
:data:`CHUNK_HEARTBEAT_TIMEOUT`, and the new attempt reads that number back from the heartbeat
details and carries on from there. The SDK sends heartbeats at most every 0.8 x the heartbeat
timeout, so a resumed attempt may write up to about 8 s of rows again; rows are deterministic, so
the part file ends up the same. A chunk that is already complete is never written again.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from contracts.reports import ReportOutput
from stand_ins.side_effect_log import SideEffectLog
from temporal_core.authoring.registry import activity_defn
from temporalio import activity
from temporalio.exceptions import ApplicationError

from worker_reports.limits import ReportLimits, too_large
from worker_reports.models import (
    AssembleRequest,
    ChunkRequest,
    ChunkResult,
    DiscardRequest,
)
from worker_reports.report_rows import report_row
from worker_reports.storage import (
    InvalidReportIdError,
    ReportStorage,
    append_rows,
    keep_first_lines,
)

__all__ = [
    "ASSEMBLE_TIMEOUT",
    "CHUNK_HEARTBEAT_TIMEOUT",
    "CHUNK_RESUMED_KIND",
    "CHUNK_TIMEOUT",
    "CHUNK_WRITTEN_KIND",
    "DISCARD_TIMEOUT",
    "HEARTBEAT_INTERVAL",
    "REPORT_WRITTEN_KIND",
    "ReportActivities",
]

QUEUE = "reports"
CHUNK_WRITTEN_KIND = "report.chunk_written"
CHUNK_RESUMED_KIND = "report.chunk_resumed"
REPORT_WRITTEN_KIND = "report.written"

CHUNK_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
"""How soon a chunk whose worker died is retried elsewhere (it resumes from its heartbeat)."""
HEARTBEAT_INTERVAL = 2.0
"""Seconds between a chunk's heartbeats at most: well inside the heartbeat timeout."""
CHUNK_TIMEOUT = timedelta(minutes=2)
"""Start-to-close of one chunk attempt. Rows are written at about 15,000 a second, so the default
100-row chunk takes milliseconds and the largest the API accepts (1,000,000 rows) about a
minute. An attempt that runs longer (a large row delay) is retried and resumes from its last
heartbeat, so it still finishes. A dead worker is noticed by the heartbeat timeout, not this."""
ASSEMBLE_TIMEOUT = timedelta(minutes=2)
"""Start-to-close of joining the chunks. Joining runs at about 25,000 rows a second, so the
largest report the API accepts (1,000,000 rows) takes about 40 s: three times that."""
DISCARD_TIMEOUT = timedelta(seconds=30)
"""Start-to-close of deleting a cancelled report's part files (at most 5000 files)."""

_HEARTBEATS_PER_CHUNK = 10
_MAX_BATCH_ROWS = 500


def _resume_point() -> int:
    details = activity.info().heartbeat_details
    if details and isinstance(details[0], int):
        return details[0]
    return 0


class ReportActivities:
    """The ``reports`` activities, bound to their storage and side-effect log."""

    def __init__(
        self,
        *,
        storage: ReportStorage,
        effects: SideEffectLog,
        row_delay: float = 0.0,
        limits: ReportLimits | None = None,
    ) -> None:
        """Write reports to ``storage`` and record chunks and reports in ``effects``.

        ``row_delay`` pauses that many seconds per row, to watch progress or rehearse a worker
        restart on a small report. ``limits``: the size quota and the retention that
        ``expires_at`` is computed from (default: :class:`ReportLimits`' defaults).
        """
        self.storage = storage
        self.effects = effects
        self.row_delay = max(0.0, row_delay)
        self.limits = limits or ReportLimits()

    @activity_defn(
        queue=QUEUE,
        start_to_close_timeout=CHUNK_TIMEOUT,
        heartbeat_timeout=CHUNK_HEARTBEAT_TIMEOUT,
    )
    @activity.defn
    async def write_report_chunk(self, request: ChunkRequest) -> ChunkResult:
        """Write the chunk's rows to its part file, resuming from the last heartbeat."""
        info = activity.info()
        key = f"{request.report_id}/{request.index}"
        # The first chunk knows the whole report's size: refuse before writing anything.
        rows_asked = max(request.total_rows or 0, request.first_row + request.rows)
        if rows_asked > self.limits.max_rows:
            raise too_large(
                request.report_id, limit="rows", maximum=self.limits.max_rows, actual=rows_asked
            )
        try:
            done_path = self.storage.chunk_path(request.report_id, request.index)
        except InvalidReportIdError as error:
            raise ApplicationError(
                str(error), type="InvalidReportId", non_retryable=True
            ) from error
        if done_path.exists():
            # Finished by an earlier attempt whose completion never reached the server.
            return ChunkResult(
                index=request.index, rows=request.rows, resumed_from_row=request.rows
            )
        partial = self.storage.chunk_path(request.report_id, request.index, partial=True)
        resumed = await asyncio.to_thread(keep_first_lines, partial, _resume_point())
        activity.logger.info(
            "writing chunk %s: rows %d-%d",
            key,
            request.first_row,
            request.first_row + request.rows - 1,
        )
        if resumed:
            activity.logger.info("resuming chunk %s at row %d of %d", key, resumed, request.rows)
            await asyncio.to_thread(
                self.effects.record_event,
                CHUNK_RESUMED_KIND,
                key,
                {"from_row": resumed, "attempt": info.attempt, "pid": os.getpid()},
            )
        batch_rows = self._batch_rows(request.rows)
        written = resumed
        while written < request.rows:
            count = min(batch_rows, request.rows - written)
            rows = [
                report_row(request.report_id, request.report_type, request.first_row + offset)
                for offset in range(written, written + count)
            ]
            await self._pause(self.row_delay * count, written)
            await asyncio.to_thread(append_rows, partial, rows)
            written += count
            activity.heartbeat(written)
        partial.replace(done_path)
        await asyncio.to_thread(
            self.effects.record_event,
            CHUNK_WRITTEN_KIND,
            key,
            {"rows": request.rows, "attempt": info.attempt, "pid": os.getpid()},
        )
        return ChunkResult(index=request.index, rows=request.rows, resumed_from_row=resumed)

    def _batch_rows(self, rows: int) -> int:
        # About ten heartbeats a chunk, and with a row delay no more rows than fit between two.
        batch = max(1, min(_MAX_BATCH_ROWS, rows // _HEARTBEATS_PER_CHUNK))
        if self.row_delay:
            batch = min(batch, max(1, int(HEARTBEAT_INTERVAL / self.row_delay)))
        return batch

    @staticmethod
    async def _pause(seconds: float, written: int) -> None:
        # A pause longer than the heartbeat interval keeps heartbeating, so a slow row does not
        # look like a dead worker. Short pauses send nothing: the SDK sends the first heartbeat
        # at once and throttles the rest, so that first one should carry rows, not a repeat.
        while seconds > HEARTBEAT_INTERVAL:
            await asyncio.sleep(HEARTBEAT_INTERVAL)
            seconds -= HEARTBEAT_INTERVAL
            activity.heartbeat(written)
        if seconds > 0:
            await asyncio.sleep(seconds)

    @activity_defn(queue=QUEUE, start_to_close_timeout=ASSEMBLE_TIMEOUT)
    @activity.defn
    async def assemble_report(self, request: AssembleRequest) -> ReportOutput:
        """Join the chunks into ``<storage root>/<report_id>.<format>``."""
        path = await asyncio.to_thread(
            self.storage.write_report, request.report_id, request.format, request.chunks
        )
        stat = path.stat()
        size = stat.st_size
        if size > self.limits.max_bytes:
            path.unlink(missing_ok=True)
            raise too_large(
                request.report_id, limit="bytes", maximum=self.limits.max_bytes, actual=size
            )
        retention = self.limits.retention_seconds
        expires_at = (
            datetime.fromtimestamp(stat.st_mtime + retention, UTC) if retention > 0 else None
        )
        await asyncio.to_thread(
            self.effects.record_once,
            REPORT_WRITTEN_KIND,
            request.report_id,
            {"file_name": path.name, "rows": request.rows, "size_bytes": size},
        )
        activity.logger.info("report %s written to %s (%d bytes)", request.report_id, path, size)
        return ReportOutput(
            report_id=request.report_id,
            file_name=path.name,
            format=request.format,
            rows=request.rows,
            size_bytes=size,
            expires_at=expires_at,
        )

    @activity_defn(queue=QUEUE, start_to_close_timeout=DISCARD_TIMEOUT)
    @activity.defn
    async def discard_report_parts(self, request: DiscardRequest) -> int:
        """Delete a cancelled report's files; idempotent (nothing left: returns 0)."""
        removed = await asyncio.to_thread(
            self.storage.discard_parts, request.report_id, request.finished_format
        )
        activity.logger.info("report %s: discarded %d part files", request.report_id, removed)
        return removed
