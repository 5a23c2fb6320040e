"""Answers every resource gives the same way: started or found running, still running, wait.

Handlers return models; these helpers build them and set the status code and ``Location``
header on the ``fastapi.Response`` FastAPI injects, so the body is still validated and
serialized under the route's ``response_model``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from fastapi.exceptions import RequestValidationError

from api.models.common import StartStatus, WorkflowRunning, WorkflowStarted, WorkflowStatusName
from api.settings import ApiSettings
from api.workflow_calls import Started

__all__ = [
    "answer_started",
    "answer_still_running",
    "invalid",
    "mark_started",
    "resolve_wait",
    "start_status",
]


def answer_started(
    outcome: Started,
    response: Response,
    *,
    status_url: str,
    result_url: str,
    scheduled: bool = False,
) -> WorkflowStarted:
    """202 with ``Location`` when this request started the workflow, 200 when it existed.

    The key's workflow may have run to its end already (a retry after a lost answer): then the
    answer says so, with how it ended, rather than asking for a new key.
    """
    mark_started(response, started=outcome.started, location=status_url)
    return WorkflowStarted(
        workflow_id=outcome.workflow_id,
        run_id=outcome.run_id,
        started=outcome.started,
        status=start_status(outcome, scheduled=scheduled),
        workflow_status=outcome.ended,
        status_url=status_url,
        result_url=result_url,
    )


def start_status(outcome: Started, *, scheduled: bool = False) -> StartStatus:
    """What a start request did, for the ``status`` of its answer."""
    if outcome.started:
        return "scheduled" if scheduled else "started"
    return "already_running" if outcome.ended is None else "already_finished"


def mark_started(response: Response, *, started: bool, location: str) -> None:
    """202 when a start request started something, 200 when it found it; ``Location``."""
    response.status_code = 202 if started else 200
    response.headers["Location"] = location


def answer_still_running(
    response: Response,
    workflow_id: str,
    status: WorkflowStatusName,
    *,
    status_url: str,
    result_url: str,
) -> WorkflowRunning:
    """202 for a result that is not there yet, pointing at where to poll."""
    response.status_code = 202
    response.headers["Location"] = result_url
    return WorkflowRunning(
        workflow_id=workflow_id,
        status="scheduled" if status == "scheduled" else "running",
        detail="the workflow has not finished yet; poll result_url again",
        status_url=status_url,
        result_url=result_url,
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
