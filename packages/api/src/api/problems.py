"""One error shape for the whole API: RFC 9457 problem details, plus the exceptions behind them.

Handlers raise an :class:`ApiProblem` subclass (or let a Temporal error escape) and the handlers
installed by :func:`install_problem_handlers` render it, so no route builds error bodies itself and
no route can answer 200 with an error inside. The problems every workflow resource shares live
here; a resource's own problems live with it in ``api.errors.<resource>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.body_limit import MAX_BODY_SIZE_SCOPE_KEY
from starlette.routing import compile_path
from temporal_core import TemporalDisabledError, TemporalUnavailableError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.models.common import field_location

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "ApiProblem",
    "FieldError",
    "OutcomeUnknown",
    "Problem",
    "TemporalUnreachable",
    "UpdateRefused",
    "WorkflowAlreadyExists",
    "WorkflowCancelled",
    "WorkflowFinished",
    "WorkflowNotFound",
    "WorkflowNotStarted",
    "WorkflowUnsuccessful",
    "body_too_large_detail",
    "install_problem_handlers",
    "problem_responses",
]

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "/problems/"


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    field: str = Field(description="Dotted location, e.g. `body.amount` or `query.wait`.")
    message: str
    type: str = Field(description="Machine-readable reason, e.g. `greater_than`.")


class Problem(BaseModel):
    """Every 4xx/5xx body (``application/problem+json``, RFC 9457) has this shape.

    A problem may carry extension members of its own (RFC 9457, section 3.2), such as the
    ``decision`` that stands in an approval's 409.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI reference naming the kind of problem.")
    code: str = Field(
        description="Stable machine-readable code of the kind of problem (the last segment of "
        "`type`, e.g. `workflow-not-found`); clients branch on it, never on `detail`."
    )
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code, repeated for convenience.")
    detail: str = Field(description="What went wrong in this request, for a person.")
    instance: str | None = Field(default=None, description="The request path.")
    workflow_id: str | None = Field(
        default=None, description="The workflow the problem is about (404, 409)."
    )
    workflow_status: str | None = Field(
        default=None, description="That workflow's status, when known."
    )
    status_url: str | None = Field(default=None, description="Where to look the workflow up.")
    schedule_id: str | None = Field(
        default=None, description="The schedule the problem is about (404, 409)."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="Each invalid field (422 only)."
    )


class ApiProblem(Exception):
    """An error a client can cause or must wait out; rendered as a :class:`Problem`."""

    status = 500
    kind = "internal"
    title = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        workflow_id: str | None = None,
        workflow_status: str | None = None,
        status_url: str | None = None,
        schedule_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep the fields the problem body and headers will carry.

        ``extensions`` are extra members of the body (JSON values), e.g. ``{"decision": ...}``.
        """
        super().__init__(detail)
        self.detail = detail
        self.workflow_id = workflow_id
        self.workflow_status = workflow_status
        self.status_url = status_url
        self.schedule_id = schedule_id
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


class WorkflowNotFound(ApiProblem):
    """No workflow of the expected type has this id (404)."""

    status = 404
    kind = "workflow-not-found"
    title = "Workflow not found"


class WorkflowAlreadyExists(ApiProblem):
    """A start with the SDK's default policies found the workflow id in use (409).

    The API's own start routes never answer this: a retry of a start gets the workflow its key
    started (200), running or finished. It remains for routes that start workflows directly.
    """

    status = 409
    kind = "workflow-already-exists"
    title = "Workflow already exists"


class WorkflowFinished(ApiProblem):
    """A signal was sent to a workflow that no longer runs (409)."""

    status = 409
    kind = "workflow-finished"
    title = "Workflow already finished"


class UpdateRefused(ApiProblem):
    """The workflow refused an update for a reason no route names more precisely (409)."""

    status = 409
    kind = "update-refused"
    title = "Update refused"


class WorkflowNotStarted(ApiProblem):
    """The workflow's start is delayed, so no code runs yet that could answer an update (409)."""

    status = 409
    kind = "workflow-not-started"
    title = "Workflow not started yet"


class WorkflowUnsuccessful(ApiProblem):
    """The workflow ended without a result: failed, terminated or timed out (409).

    ``failure_type`` is the type of the application error that failed it, for a route to turn a
    failure its contract names (``report-too-large``) into a problem of its own. The error's
    message is never shown: it may be any exception's text from any activity.
    """

    status = 409
    kind = "workflow-unsuccessful"
    title = "Workflow did not complete"

    def __init__(self, detail: str, *, failure_type: str | None = None, **fields: Any) -> None:
        """``fields`` are those of every problem (``workflow_id``, ``status_url``...)."""
        super().__init__(detail, **fields)
        self.failure_type = failure_type


class WorkflowCancelled(ApiProblem):
    """The run was cancelled through Temporal itself (Web UI, CLI), so it has no result (409).

    A ``cancel`` signal is different: the workflow completes with a result whose ``status`` is
    ``cancelled``, and the result endpoints answer 200 with it.
    """

    status = 409
    kind = "workflow-cancelled"
    title = "Workflow cancelled"


class TemporalUnreachable(ApiProblem):
    """Temporal is disabled, down or too slow; try again after ``Retry-After`` (503)."""

    status = 503
    kind = "temporal-unavailable"
    title = "Temporal unavailable"


class OutcomeUnknown(TemporalUnreachable):
    """Temporal did not answer a call that may still have taken effect (503).

    A start or an update whose answer was lost may have been stored. The body's ``status_url``
    says where to look, and ``detail`` says how to retry without doing it twice.
    """


_STATUS_TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request body too large",
    410: "Gone",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
}

# Errors from the gRPC layer that mean "the server is not there right now", not "you asked wrong".
_UNAVAILABLE_CODES = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
}


def is_unavailable(error: RPCError) -> bool:
    """Whether a Temporal RPC error means the server is unreachable or overloaded."""
    return error.status in _UNAVAILABLE_CODES


def _problem_response(
    request: Request,
    *,
    status: int,
    kind: str,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    problem = Problem(
        type=_TYPE_BASE + kind,
        code=kind,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        **extra,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _field_errors(errors: Iterable[Any]) -> list[FieldError]:
    found: list[FieldError] = []
    for item in errors:
        error: Mapping[str, Any] = item
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        found.append(
            FieldError(
                field=field_location(error.get("loc", ())) or "body",
                message=message,
                type=str(error.get("type", "value_error")),
            )
        )
    return found


def body_too_large_detail(max_body_size: int | None) -> str:
    """The 413 problem's ``detail``: the limit, so a client knows how far to shrink the body."""
    if max_body_size is None:
        return "the request body is larger than this route accepts"
    return f"the request body is larger than {max_body_size} bytes"


def _allowed_methods(request: Request) -> str:
    """Every method the API documents for this path, for a 405's ``Allow``.

    Starlette's 405 names only the methods of the first route whose path matched; a path served
    by two routes (``GET`` and ``POST /reports/schedules``) would then advertise half of them.
    The OpenAPI document lists them all, and it is what clients read.
    """
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        pattern, _, _ = compile_path(template)
        if pattern.match(path):
            methods.update(name.upper() for name in operations if name.upper() in _METHODS)
    return ", ".join(sorted(methods))


_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"})


def install_problem_handlers(app: FastAPI, *, retry_after_seconds: int) -> None:
    """Render every error the app can raise as a :class:`Problem` with the right status."""
    retry_after = {"Retry-After": str(retry_after_seconds)}

    async def api_problem(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ApiProblem)
        headers = dict(error.headers)
        if error.status == 503:
            headers.setdefault("Retry-After", str(retry_after_seconds))
        return _problem_response(
            request,
            status=error.status,
            kind=error.kind,
            title=error.title,
            detail=error.detail,
            headers=headers,
            workflow_id=error.workflow_id,
            workflow_status=error.workflow_status,
            status_url=error.status_url,
            schedule_id=error.schedule_id,
            **error.extensions,
        )

    async def validation(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        fields = _field_errors(error.errors())
        detail = "; ".join(f"{item.field}: {item.message}" for item in fields)
        return _problem_response(
            request,
            status=422,
            kind="validation",
            title="Invalid request",
            detail=detail or "the request is not valid",
            errors=fields,
        )

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        status = error.status_code
        title = _STATUS_TITLES.get(status, "HTTP error")
        detail = str(error.detail)
        headers = error.headers
        if status == 413:
            # FastAPI's max_body_size raises a bare "Content Too Large"; name the limit in force
            # for this request, which the body limiter keeps in the scope while it runs.
            detail = body_too_large_detail(request.scope.get(MAX_BODY_SIZE_SCOPE_KEY))
        if status == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return _problem_response(
            request,
            status=status,
            kind=title.lower().replace(" ", "-"),
            title=title,
            detail=detail,
            headers=headers,
        )

    async def temporal_disabled(request: Request, error: Exception) -> JSONResponse:
        return _problem_response(
            request,
            status=503,
            kind="temporal-disabled",
            title="Temporal disabled",
            detail=f"{error}; workflows cannot be started or queried",
            headers=retry_after,
        )

    async def temporal_unavailable(request: Request, error: Exception) -> JSONResponse:
        logger.warning("Temporal unavailable for %s: %s", request.url.path, error)
        return _problem_response(
            request,
            status=503,
            kind="temporal-unavailable",
            title="Temporal unavailable",
            detail="the workflow service cannot be reached right now; retry later",
            headers=retry_after,
        )

    async def rpc_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RPCError)
        if is_unavailable(error):
            return await temporal_unavailable(request, error)
        logger.error("Temporal rejected a call for %s: %s", request.url.path, error)
        return await unexpected(request, error)

    async def already_started(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, WorkflowAlreadyStartedError)
        return _problem_response(
            request,
            status=409,
            kind=WorkflowAlreadyExists.kind,
            title=WorkflowAlreadyExists.title,
            detail=f"workflow {error.workflow_id} already exists",
            workflow_id=error.workflow_id,
        )

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # The traceback goes to the log, never to the client.
        logger.error("unhandled error on %s", request.url.path, exc_info=error)
        return _problem_response(
            request,
            status=500,
            kind="internal",
            title="Internal error",
            detail="the server failed to handle this request; it has been logged",
        )

    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(TemporalDisabledError, temporal_disabled)
    app.add_exception_handler(TemporalUnavailableError, temporal_unavailable)
    app.add_exception_handler(TimeoutError, temporal_unavailable)
    app.add_exception_handler(RPCError, rpc_error)
    app.add_exception_handler(WorkflowAlreadyStartedError, already_started)
    app.add_exception_handler(Exception, unexpected)


_DESCRIPTIONS = {
    400: "The body is not readable (for example, not UTF-8).",
    404: "No workflow (or schedule) of this kind has that id.",
    409: "Conflict with the workflow's current state (see `code`).",
    410: "The report's file was deleted after the retention period; generate it again.",
    413: "The request body is larger than the configured limit.",
    422: "The request is invalid; `errors` names each field.",
    429: "A per-caller limit is reached (see `code`); retry after `Retry-After` seconds.",
    503: "Temporal is disabled, unreachable or did not answer in time; retry after "
    "`Retry-After` seconds. For a start or an update the call may have taken effect: check "
    "`status_url`, then retry with the same key (see the API guide's retry contract).",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting the problem answers a route can give."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "model": Problem,
            "description": _DESCRIPTIONS.get(status, _STATUS_TITLES.get(status, "Error")),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in (429, 503):
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before retrying.",
                    "schema": {"type": "integer"},
                }
            }
        documented[status] = entry
    return documented
