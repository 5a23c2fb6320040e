"""``/reports``: a long-running job with progress and a file to download at the end.

A caller sees only its own reports (api.ownership); its ``Idempotency-Key`` is its own too. Abuse
limits: starts count against the caller's rate (``API_START_RATE_PER_MINUTE``), a caller may have
at most ``API_MAX_RUNNING_REPORTS_PER_CALLER`` reports generating at once (429), the report worker
refuses reports over its size quota (409 ``report-too-large``) and deletes files after their
retention (410 ``report-expired``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from contracts.common import CANCEL, CancelRequest
from contracts.reports import REPORT, REPORT_TOO_LARGE, ReportOutput
from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from api.auth.dependencies import ReportsReader, ReportsWriter
from api.auth.principal import Principal
from api.deps import ApiSettingsDep, StartLimiterDep, WorkflowCallsDep
from api.errors.limits import TooManyRunningReports
from api.errors.reports import (
    ReportCancelled,
    ReportExpired,
    ReportFileMissing,
    ReportNotReady,
    ReportTooLarge,
)
from api.models.common import CancelBody, IdempotencyKeyHeader, ReportIdPath, SignalSent
from api.models.reports import ReportFailure, ReportRequest, ReportStarted, ReportStatus
from api.ownership import scoped_id
from api.problems import WorkflowCancelled, WorkflowUnsuccessful, problem_responses
from api.responses import mark_started
from api.workflow_calls import ACTIVE_STATUSES, Finished, WorkflowCalls

__all__ = ["report_workflow_id", "router"]

router = APIRouter(prefix="/reports", tags=["reports"])

REPORT_EXECUTION_TIMEOUT = timedelta(hours=2)
_MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}


def report_workflow_id(caller: Principal, idempotency_key: str | None) -> str:
    """A report has no business key: the caller's Idempotency-Key, else a fresh random id."""
    if idempotency_key is None:
        return f"report-{uuid.uuid4().hex}"
    return scoped_id(f"report-{idempotency_key}", caller.subject)


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
        **problem_responses(400, 413, 422, 429, 503),
    },
    summary="Start generating a report",
)
async def generate_report(
    caller: ReportsWriter,
    request: ReportRequest,
    calls: WorkflowCallsDep,
    limiter: StartLimiterDep,
    settings: ApiSettingsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ReportStarted:
    """Return at once with ``report_id`` and ``status_url``; the file appears when done.

    Without an ``Idempotency-Key`` every call generates a new report; with one, a retry finds
    the report its first attempt started, also once that report has finished. 429
    ``too-many-running-reports`` while the caller has as many reports generating as it may.
    """
    limiter.take(caller.subject)
    calls = calls.on_behalf_of(caller)
    report_id = report_workflow_id(caller, idempotency_key)
    await _within_running_cap(calls, settings)
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


async def _within_running_cap(calls: WorkflowCalls, settings: ApiSettingsDep) -> None:
    # Counted before the start, so a retry of a running report's key may be refused too; it
    # would only find the report it already has, which its status_url reports anyway.
    cap = settings.max_running_reports_per_caller
    if cap <= 0:
        return
    running = await calls.count_running(REPORT)
    if running >= cap:
        raise TooManyRunningReports(
            f"{running} of this caller's reports are generating and at most {cap} may at once; "
            "wait for one to finish or cancel one",
            headers={"Retry-After": str(settings.retry_after_seconds)},
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
    calls = calls.on_behalf_of(caller)
    found = await calls.look_up(REPORT, report_id)
    if found.status in ACTIVE_STATUSES:
        progress = found.state.progress if found.state is not None else 0
        return ReportStatus(
            report_id=report_id,
            status=found.status,
            progress=max(0, min(progress, 100)),
            state=found.state.model_dump(mode="json") if found.state is not None else None,
        )
    if found.status == "failed":
        return ReportStatus(
            report_id=report_id,
            status=found.status,
            progress=0,
            failure=await _failure(calls, report_id),
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
    return await calls.on_behalf_of(caller).signal(
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
        **problem_responses(404, 409, 410, 422, 503),
    },
    summary="Download a finished report",
)
async def download_report(
    caller: ReportsReader,
    report_id: ReportIdPath,
    calls: WorkflowCallsDep,
    settings: ApiSettingsDep,
) -> FileResponse:
    """The file once the report completed; 409 while it is being generated or if cancelled.

    409 ``report-too-large`` when the worker refused it (over its size quota); 410
    ``report-expired`` once its file was deleted after the retention period.
    """
    try:
        answer = await calls.on_behalf_of(caller).wait_for_result(
            REPORT, report_id, wait=0, status_url=_status_url(report_id)
        )
    except WorkflowCancelled:
        raise _cancelled(report_id, "through Temporal") from None
    except WorkflowUnsuccessful as error:
        if error.failure_type == REPORT_TOO_LARGE:
            raise _too_large(report_id) from None
        raise
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
    expires_at = answer.value.expires_at
    if path is None and expires_at is not None and expires_at <= datetime.now(UTC):
        raise ReportExpired(
            f"report {report_id} expired at {expires_at.isoformat()} and its file was deleted; "
            "generate it again",
            workflow_id=report_id,
            workflow_status="completed",
            status_url=_status_url(report_id),
        )
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


def _too_large(report_id: str) -> ReportTooLarge:
    return ReportTooLarge(
        f"report {report_id} is larger than the report worker's quota (REPORTS_MAX_ROWS, "
        "REPORTS_MAX_BYTES), so it was refused; ask for fewer rows",
        workflow_id=report_id,
        workflow_status="failed",
        status_url=_status_url(report_id),
    )


async def _failure(calls: WorkflowCalls, report_id: str) -> ReportFailure:
    # The failure's own message stays in Temporal; the client gets a code and a safe sentence.
    try:
        await calls.wait_for_result(REPORT, report_id, wait=0, status_url=_status_url(report_id))
    except WorkflowUnsuccessful as error:
        if error.failure_type == REPORT_TOO_LARGE:
            return ReportFailure(code=ReportTooLarge.kind, detail=_too_large(report_id).detail)
    return ReportFailure(
        code="report-failed",
        detail=f"report {report_id} failed; its workflow history in Temporal says why",
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
