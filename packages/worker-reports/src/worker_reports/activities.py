"""Activities of the ``reports`` queue: write one chunk of rows, then join the chunks.

``write_report_chunk`` heartbeats after every batch of rows with the number of rows safely on
disk. When its worker dies, Temporal retries it after the heartbeat timeout and the new attempt
reads that number back from the heartbeat details and carries on from there. A chunk that is
already complete is never written again.

``REPORTS_ROW_DELAY_SECONDS`` (default 0) adds a pause per row, to watch progress or rehearse
a worker restart on a small report.
"""

from __future__ import annotations

import asyncio
import os

from contracts.reports import ReportOutput
from stand_ins.side_effect_log import default_side_effect_log
from temporal_core.authoring.registry import activity_defn
from temporalio import activity
from temporalio.exceptions import ApplicationError

from worker_reports import storage
from worker_reports.models import (
    AssembleRequest,
    ChunkRequest,
    ChunkResult,
    DiscardRequest,
)
from worker_reports.report_rows import report_row

__all__ = [
    "CHUNK_RESUMED_KIND",
    "CHUNK_WRITTEN_KIND",
    "REPORT_WRITTEN_KIND",
    "ROW_DELAY_ENV",
    "assemble_report",
    "discard_report_parts",
    "write_report_chunk",
]

QUEUE = "reports"
ROW_DELAY_ENV = "REPORTS_ROW_DELAY_SECONDS"
CHUNK_WRITTEN_KIND = "report.chunk_written"
CHUNK_RESUMED_KIND = "report.chunk_resumed"
REPORT_WRITTEN_KIND = "report.written"
_HEARTBEATS_PER_CHUNK = 10
_MAX_BATCH_ROWS = 500


def _row_delay() -> float:
    try:
        return max(0.0, float(os.environ.get(ROW_DELAY_ENV) or 0))
    except ValueError:
        return 0.0


def _resume_point() -> int:
    details = activity.info().heartbeat_details
    if details and isinstance(details[0], int):
        return details[0]
    return 0


@activity_defn(queue=QUEUE)
@activity.defn
async def write_report_chunk(request: ChunkRequest) -> ChunkResult:
    """Write the chunk's rows to its part file, resuming from the last heartbeat."""
    info = activity.info()
    key = f"{request.report_id}/{request.index}"
    try:
        done_path = storage.chunk_path(request.report_id, request.index)
    except storage.InvalidReportIdError as error:
        raise ApplicationError(str(error), type="InvalidReportId", non_retryable=True) from error
    if done_path.exists():
        # Finished by an earlier attempt whose completion never reached the server.
        return ChunkResult(index=request.index, rows=request.rows, resumed_from_row=request.rows)
    partial = storage.chunk_path(request.report_id, request.index, partial=True)
    resumed = await asyncio.to_thread(storage.keep_first_lines, partial, _resume_point())
    effects = default_side_effect_log()
    activity.logger.info(
        "writing chunk %s: rows %d-%d",
        key,
        request.first_row,
        request.first_row + request.rows - 1,
    )
    if resumed:
        activity.logger.info("resuming chunk %s at row %d of %d", key, resumed, request.rows)
        await asyncio.to_thread(
            effects.record_event,
            CHUNK_RESUMED_KIND,
            key,
            {"from_row": resumed, "attempt": info.attempt, "pid": os.getpid()},
        )
    batch_rows = max(1, min(_MAX_BATCH_ROWS, request.rows // _HEARTBEATS_PER_CHUNK))
    delay = _row_delay()
    written = resumed
    while written < request.rows:
        count = min(batch_rows, request.rows - written)
        rows = [
            report_row(request.report_id, request.report_type, request.first_row + offset)
            for offset in range(written, written + count)
        ]
        if delay:
            await asyncio.sleep(delay * count)
        await asyncio.to_thread(storage.append_rows, partial, rows)
        written += count
        activity.heartbeat(written)
    partial.replace(done_path)
    await asyncio.to_thread(
        effects.record_event,
        CHUNK_WRITTEN_KIND,
        key,
        {"rows": request.rows, "attempt": info.attempt, "pid": os.getpid()},
    )
    return ChunkResult(index=request.index, rows=request.rows, resumed_from_row=resumed)


@activity_defn(queue=QUEUE)
@activity.defn
async def assemble_report(request: AssembleRequest) -> ReportOutput:
    """Join the chunks into ``<REPORTS_DIR>/<report_id>.<format>``."""
    path = await asyncio.to_thread(
        storage.write_report, request.report_id, request.format, request.chunks
    )
    size = path.stat().st_size
    await asyncio.to_thread(
        default_side_effect_log().record_once,
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
    )


@activity_defn(queue=QUEUE)
@activity.defn
async def discard_report_parts(request: DiscardRequest) -> int:
    """Delete a cancelled report's files; idempotent (nothing left: returns 0)."""
    removed = await asyncio.to_thread(
        storage.discard_parts, request.report_id, request.finished_format
    )
    activity.logger.info("report %s: discarded %d part files", request.report_id, removed)
    return removed
