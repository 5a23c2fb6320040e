"""Answers every resource gives the same way: started or found running, still running, wait."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.models.common import WorkflowRunning, WorkflowStarted, WorkflowStatusName
from api.settings import ApiSettings
from api.workflow_calls import Started

__all__ = ["invalid", "resolve_wait", "running_response", "start_response"]


def start_response(
    outcome: Started, *, status_url: str, result_url: str, scheduled: bool = False
) -> JSONResponse:
    """202 with ``Location`` when this request started the workflow, 200 when it was running."""
    started = "scheduled" if scheduled else "started"
    status = started if outcome.started else "already_running"
    body = WorkflowStarted(
        workflow_id=outcome.workflow_id,
        run_id=outcome.run_id,
        started=outcome.started,
        status=status,
        status_url=status_url,
        result_url=result_url,
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=202 if outcome.started else 200,
        headers={"Location": status_url},
    )


def running_response(
    workflow_id: str, status: WorkflowStatusName, *, status_url: str, result_url: str
) -> JSONResponse:
    """202 for a result that is not there yet, pointing at where to poll."""
    body = WorkflowRunning(
        workflow_id=workflow_id,
        status="scheduled" if status == "scheduled" else "running",
        detail="the workflow has not finished yet; poll result_url again",
        status_url=status_url,
        result_url=result_url,
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"Location": result_url}
    )


def invalid(
    location: tuple[str, ...], message: str, value: Any, kind: str
) -> RequestValidationError:
    """A 422 for a limit that lives in settings, in the same shape as FastAPI's own."""
    return RequestValidationError([{"type": kind, "loc": location, "msg": message, "input": value}])


def resolve_wait(wait: float | None, settings: ApiSettings) -> float:
    """The seconds a result endpoint may wait: ``?wait`` if given and allowed, else the default."""
    if wait is None:
        return min(settings.default_wait_seconds, settings.max_wait_seconds)
    if wait > settings.max_wait_seconds:
        raise invalid(
            ("query", "wait"),
            f"Input should be less than or equal to {settings.max_wait_seconds:g}",
            wait,
            "less_than_equal",
        )
    return wait
