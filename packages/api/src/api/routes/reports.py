"""``/reports``: a long-running job with progress and a file to download at the end."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from contracts.reports import ReportOutput
from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse
from temporal_core import CancelRequest
from worker_reports.workflows import ReportGenerationWorkflow

from api.deps import ApiSettingsDep, TemporalClientDep
from api.models.common import CancelBody, IdempotencyKeyHeader, ReportIdPath, SignalSent
from api.models.reports import ReportRequest, ReportStarted, ReportStatus
from api.problems import ReportFileMissing, ReportNotReady, problem_responses
from api.workflow_calls import ACTIVE_STATUSES, Finished, WorkflowCalls

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
        200: {"model": ReportStarted, "description": "Idempotency-Key matched a running report."},
        **problem_responses(400, 409, 413, 422, 503),
    },
    summary="Start generating a report",
)
async def generate_report(
    request: ReportRequest,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Return at once with ``report_id`` and ``status_url``; the file appears when done.

    Without an ``Idempotency-Key`` every call generates a new report; with one, a retry finds
    the report its first attempt started.
    """
    report_id = report_workflow_id(idempotency_key)
    outcome = await WorkflowCalls(client, settings).start_once(
        ReportGenerationWorkflow,
        input=request.to_config(),
        workflow_id=report_id,
        status_url=_status_url(report_id),
        execution_timeout=REPORT_EXECUTION_TIMEOUT,
    )
    body = ReportStarted(
        report_id=report_id,
        workflow_id=report_id,
        started=outcome.started,
        status_url=_status_url(report_id),
        download_url=_download_url(report_id),
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=202 if outcome.started else 200,
        headers={"Location": _status_url(report_id)},
    )


@router.get(
    "/{report_id}/status",
    response_model=ReportStatus,
    responses=problem_responses(404, 422, 503),
    summary="Progress of a report",
)
async def get_report_status(
    report_id: ReportIdPath, client: TemporalClientDep, settings: ApiSettingsDep
) -> ReportStatus:
    """``progress`` (0-100) while generating; the file's details once completed."""
    calls = WorkflowCalls(client, settings)
    status, state = await calls.status_and_state(ReportGenerationWorkflow, report_id)
    if status in ACTIVE_STATUSES:
        progress = int((state or {}).get("progress", 0) or 0)
        return ReportStatus(
            report_id=report_id, status=status, progress=max(0, min(progress, 100)), state=state
        )
    if status != "completed":
        return ReportStatus(report_id=report_id, status=status, progress=0)
    answer = await calls.wait_for_result(
        ReportGenerationWorkflow, report_id, wait=0, status_url=_status_url(report_id)
    )
    result = answer.value if isinstance(answer, Finished) else None
    return ReportStatus(
        report_id=report_id,
        status=status,
        progress=100,
        result=result,
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
    report_id: ReportIdPath,
    body: CancelBody,
    client: TemporalClientDep,
    settings: ApiSettingsDep,
) -> SignalSent:
    """Send the ``cancel`` signal: the report stops before its next chunk and deletes its parts.

    The status then reads ``failed`` with the reason (the run ends with ``ReportCancelled``).
    """
    return await WorkflowCalls(client, settings).signal(
        ReportGenerationWorkflow,
        report_id,
        ReportGenerationWorkflow.cancel,
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
    report_id: ReportIdPath, client: TemporalClientDep, settings: ApiSettingsDep
) -> FileResponse:
    """The file once the report completed; 409 while it is still being generated."""
    calls = WorkflowCalls(client, settings)
    answer = await calls.wait_for_result(
        ReportGenerationWorkflow, report_id, wait=0, status_url=_status_url(report_id)
    )
    if not isinstance(answer, Finished):
        raise ReportNotReady(
            f"report {report_id} is still {answer.status}; poll status_url until it completes",
            workflow_id=report_id,
            workflow_status=answer.status,
            status_url=_status_url(report_id),
            headers={"Retry-After": "2"},
        )
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


def _report_file(reports_dir: Path, output: ReportOutput) -> Path | None:
    # The file name comes from workflow history; never let it point outside the directory.
    if output.file_name is None:
        return None
    root = reports_dir.resolve()
    candidate = (root / output.file_name).resolve()
    if candidate.parent != root or not candidate.is_file():
        return None
    return candidate
