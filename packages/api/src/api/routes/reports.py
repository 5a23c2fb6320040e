"""``/reports``: a long-running job with progress and a file to download at the end."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from contracts.common import CANCEL, CancelRequest
from contracts.reports import REPORT, ReportOutput
from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from api.auth.dependencies import ReportsReader, ReportsWriter
from api.deps import ApiSettingsDep, WorkflowCallsDep
from api.errors.reports import ReportCancelled, ReportFileMissing, ReportNotReady
from api.models.common import CancelBody, IdempotencyKeyHeader, ReportIdPath, SignalSent
from api.models.reports import ReportRequest, ReportStarted, ReportStatus
from api.problems import WorkflowCancelled, problem_responses
from api.responses import mark_started
from api.workflow_calls import ACTIVE_STATUSES, Finished

__all__ = ["report_workflow_id", "router"]

router = APIRouter(prefix="/reports", tags=["reports"])

REPORT_EXECUTION_TIMEOUT = timedelta(hours=2)
_MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}


def report_workflow_id(idempotency_key: str | None) -> str:
    """A report has no business key: the client's Idempotency-Key, else a fresh random id."""
    return f"report-{idempotency_key or uuid.uuid4().hex}"


def _status_url(report_id: str) -> str:
    return f"/reports/{report_id}/status"


def _download_url(report_id: str) -> str:
    return f"/reports/{report_id}/download"


@router.post(
    "/generate",
    status_code=202,
    response_model=ReportStarted,
    responses={
        200: {
            "model": ReportStarted,
            "description": "The Idempotency-Key's report exists (running or finished); nothing "
            "new was started.",
        },
        **problem_responses(400, 413, 422, 503),
    },
    summary="Start generating a report",
)
async def generate_report(
    caller: ReportsWriter,
    request: ReportRequest,
    calls: WorkflowCallsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReportStarted:
    """Return at once with ``report_id`` and ``status_url``; the file appears when done.

    Without an ``Idempotency-Key`` every call generates a new report; with one, a retry finds
    the report its first attempt started, also once that report has finished.
    """
    report_id = report_workflow_id(idempotency_key)
    outcome = await calls.start_once(
        REPORT,
        request.to_config(),
        workflow_id=report_id,
        status_url=_status_url(report_id),
        retry_key="Idempotency-Key" if idempotency_key else None,
        execution_timeout=REPORT_EXECUTION_TIMEOUT,
    )
    mark_started(response, started=outcome.started, location=_status_url(report_id))
    return ReportStarted(
        report_id=report_id,
        workflow_id=report_id,
        started=outcome.started,
        status="generating" if outcome.ended is None else "finished",
        workflow_status=outcome.ended,
        status_url=_status_url(report_id),
        download_url=_download_url(report_id),
    )


@router.get(
    "/{report_id}/status",
    response_model=ReportStatus,
    responses=problem_responses(404, 422, 503),
    summary="Progress of a report",
)
async def get_report_status(
    caller: ReportsReader, report_id: ReportIdPath, calls: WorkflowCallsDep
) -> ReportStatus:
    """``progress`` (0-100) while generating; the file's details once completed.

    A report stopped by a cancel signal reads ``cancelled`` with its result (the rows written
    before it stopped), as one cancelled through Temporal reads ``cancelled`` without one.
    """
    found = await calls.look_up(REPORT, report_id)
    if found.status in ACTIVE_STATUSES:
        progress = found.state.progress if found.state is not None else 0
        return ReportStatus(
            report_id=report_id,
            status=found.status,
            progress=max(0, min(progress, 100)),
            state=found.state.model_dump(mode="json") if found.state is not None else None,
        )
    if found.status != "completed":
        return ReportStatus(
            report_id=report_id, status=found.status, progress=0, result=found.result
        )
    return ReportStatus(
        report_id=report_id,
        status=found.status,
        progress=100,
        result=found.result,
        download_url=_download_url(report_id),
    )


@router.post(
    "/{report_id}/cancel",
    status_code=202,
    response_model=SignalSent,
    responses=problem_responses(400, 404, 409, 413, 422, 503),
    summary="Ask a report to stop",
)
async def cancel_report(
    caller: ReportsWriter, report_id: ReportIdPath, body: CancelBody, calls: WorkflowCallsDep
) -> SignalSent:
    """Send the ``cancel`` signal: the report stops before its next chunk and deletes its parts.

    The status then reads ``cancelled``; downloading it answers 409 ``report-cancelled``.
    """
    return await calls.signal(
        REPORT,
        report_id,
        CANCEL,
        CancelRequest(reason=body.reason),
        status_url=_status_url(report_id),
    )


@router.get(
    "/{report_id}/download",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The report file.",
            "content": {"text/csv": {}, "application/json": {}},
        },
        **problem_responses(404, 409, 422, 503),
    },
    summary="Download a finished report",
)
async def download_report(
    caller: ReportsReader,
    report_id: ReportIdPath,
    calls: WorkflowCallsDep,
    settings: ApiSettingsDep,
) -> FileResponse:
    """The file once the report completed; 409 while it is being generated or if cancelled."""
    try:
        answer = await calls.wait_for_result(
            REPORT, report_id, wait=0, status_url=_status_url(report_id)
        )
    except WorkflowCancelled:
        raise _cancelled(report_id, "through Temporal") from None
    if not isinstance(answer, Finished):
        raise ReportNotReady(
            f"report {report_id} is still {answer.status}; poll status_url until it completes",
            workflow_id=report_id,
            workflow_status=answer.status,
            status_url=_status_url(report_id),
            headers={"Retry-After": "2"},
        )
    if answer.value.status == "cancelled":
        raise _cancelled(report_id, f"after {answer.value.rows} rows")
    path = _report_file(settings.reports_dir, answer.value)
    if path is None:
        raise ReportFileMissing(
            f"report {report_id} completed but its file is not in this service's reports "
            "directory; check that the API and the report worker share REPORTS_DIR",
            workflow_id=report_id,
            workflow_status="completed",
            status_url=_status_url(report_id),
        )
    return FileResponse(
        path,
        media_type=_MEDIA_TYPES.get(answer.value.format, "application/octet-stream"),
        filename=path.name,
    )


def _cancelled(report_id: str, how: str) -> ReportCancelled:
    return ReportCancelled(
        f"report {report_id} was cancelled {how}; it has no file to download",
        workflow_id=report_id,
        workflow_status="cancelled",
        status_url=_status_url(report_id),
    )


def _report_file(reports_dir: Path, output: ReportOutput) -> Path | None:
    # The file name comes from workflow history; never let it point outside the directory.
    if output.file_name is None:
        return None
    root = reports_dir.resolve()
    candidate = (root / output.file_name).resolve()
    if candidate.parent != root or not candidate.is_file():
        return None
    return candidate
