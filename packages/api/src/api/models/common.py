"""Types shared by every resource: safe ids, workflow statuses and the start/signal answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Header, Path, Query
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, Tag

__all__ = [
    "BUSINESS_KEY_PATTERN",
    "WORKFLOW_ID_PATTERN",
    "ApprovalIdPath",
    "BusinessKey",
    "CancelBody",
    "EmailAddress",
    "IdempotencyKeyHeader",
    "OrderIdPath",
    "ReportIdPath",
    "SignalSent",
    "StartStatus",
    "WaitQuery",
    "WorkflowRunning",
    "WorkflowStarted",
    "WorkflowStatusName",
    "field_location",
    "union_branch",
]

# Ids end up in workflow ids, URLs and file names: letters, digits and ``_.:-`` only, starting
# with a letter or digit, so none of them can smuggle a path separator or whitespace.
BUSINESS_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
BUSINESS_KEY_MAX = 64
WORKFLOW_ID_PATTERN = BUSINESS_KEY_PATTERN
WORKFLOW_ID_MAX = 128

BusinessKey = Annotated[
    str,
    StringConstraints(pattern=BUSINESS_KEY_PATTERN, min_length=1, max_length=BUSINESS_KEY_MAX),
]
"""A client-chosen id (order id, request id): 1-64 of ``A-Z a-z 0-9 _ . : -``."""


def _either_case(word: str) -> str:
    return "".join(f"[{letter.upper()}{letter}]" for letter in word)


_SPECIAL_USE_NAMES = ("arpa", "invalid", "local", "localhost", "onion", "test")
EMAIL_PATTERN = (
    r"^[^@]+@(?![^@]*\.(?:"
    + "|".join(_either_case(name) for name in _SPECIAL_USE_NAMES)
    + r")$)[^@]+\.[^@.]+$"
)
"""What the e-mail check demands beyond ``format: email``, written into the schema: a dotted
domain that is not under a special-use name (RFC 6761: ``.test``, ``.localhost``, ...)."""

EmailAddress = Annotated[
    EmailStr,
    Field(
        json_schema_extra={"pattern": EMAIL_PATTERN},
        description="A deliverable address: its domain has a dot and is not a special-use name "
        "such as `example.test` or `localhost`.",
    ),
]
"""An e-mail address as ``email-validator`` accepts it; the schema states its extra rules."""


def _workflow_id_path(example: str, description: str) -> Any:
    return Path(
        pattern=WORKFLOW_ID_PATTERN,
        min_length=1,
        max_length=WORKFLOW_ID_MAX,
        description=description,
        examples=[example],
    )


OrderIdPath = Annotated[
    str, _workflow_id_path("order-A-1001", "The workflow id `POST /orders` returned.")
]
"""``{workflow_id}`` of an order route."""

ApprovalIdPath = Annotated[
    str, _workflow_id_path("approval-PR-42", "The workflow id `POST /approvals` returned.")
]
"""``{workflow_id}`` of an approval route."""

ReportIdPath = Annotated[
    str, _workflow_id_path("report-nightly-1", "The `report_id` `POST /reports/generate` returned.")
]
"""``{report_id}`` of a report route."""

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=BUSINESS_KEY_PATTERN,
        min_length=1,
        max_length=BUSINESS_KEY_MAX,
        description=(
            "Makes a retried POST start at most one workflow. Keys are the caller's own: another "
            "caller's same key never finds this caller's workflow. Where the resource has no "
            "business key of its own (reports) the key becomes the workflow id (with the caller's "
            "owner tag); elsewhere the business key already does and this key is recorded in the "
            "workflow's memo."
        ),
    ),
]
"""The optional ``Idempotency-Key`` request header."""

WaitQuery = Annotated[
    float | None,
    Query(
        ge=0,
        allow_inf_nan=False,
        description="Seconds to wait for the result, up to the server's maximum "
        "(API_MAX_WAIT_SECONDS); 0 answers at once. Still running then: 202.",
    ),
]
"""The ``?wait`` query parameter of routes that wait for a workflow's result."""

WorkflowStatusName = Literal[
    "scheduled",
    "running",
    "completed",
    "failed",
    "cancelled",
    "terminated",
    "continued_as_new",
    "timed_out",
]
"""A workflow's lifecycle status; ``scheduled`` is a running workflow whose start is delayed."""


StartStatus = Literal["started", "scheduled", "already_running", "already_finished"]
"""What a start request did: started (or scheduled) a workflow, or found the key's workflow."""


class WorkflowStarted(BaseModel):
    """Answer of every start endpoint: which workflow, and whether this request started it."""

    workflow_id: str = Field(examples=["order-A-1001"])
    run_id: str | None = Field(default=None, description="The run this request started or found.")
    started: bool = Field(
        description="True: this request started the workflow (202). False: the key's workflow "
        "existed already, running or finished, and nothing new was started (200)."
    )
    status: StartStatus = Field(
        description="`already_finished`: the key's workflow ran to its end; `workflow_status` "
        "says how and `result_url` has its result. A retry never starts a second workflow."
    )
    workflow_status: WorkflowStatusName | None = Field(
        default=None,
        description="How the workflow ended, when `status` is `already_finished`.",
        examples=["completed"],
    )
    status_url: str = Field(examples=["/orders/order-A-1001/status"])
    result_url: str = Field(examples=["/orders/order-A-1001/result"])


class WorkflowRunning(BaseModel):
    """202 answer of a result endpoint when the workflow has not finished within the wait."""

    workflow_id: str = Field(examples=["order-A-1001"])
    status: Literal["scheduled", "running"]
    detail: str = Field(examples=["the workflow is still running; poll result_url again"])
    status_url: str
    result_url: str


class SignalSent(BaseModel):
    """202 answer of a signal endpoint: the signal is recorded in the workflow's history."""

    workflow_id: str = Field(examples=["order-A-1001"])
    signal: str = Field(examples=["cancel"])
    status: Literal["signal_sent"] = "signal_sent"
    status_url: str
    details: dict[str, Any] = Field(
        default_factory=dict[str, Any], description="The signal's argument, as sent."
    )


class CancelBody(BaseModel):
    """Why a workflow is being cancelled (the ``cancel`` signal's reason)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "dup"}]})

    reason: str = Field(min_length=1, max_length=1000)


_BRANCH_TAGS: set[str] = set()


def union_branch(name: str) -> Tag:
    """The ``Tag`` of one branch of a request union, remembered as not being a field.

    Pydantic puts the branch's tag into the location of an error inside it
    (``body.cron.cron_expression``); :func:`field_location` leaves it out again so a 422 names the
    field the client sent (``body.cron_expression``).
    """
    _BRANCH_TAGS.add(name)
    return Tag(name)


def field_location(location: Sequence[int | str]) -> str:
    """An error's location as a dotted field name, without union branch tags."""
    return ".".join(str(part) for part in location if part not in _BRANCH_TAGS)
