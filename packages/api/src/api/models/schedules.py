"""Report schedule requests and answers: when a report runs again and again, and what it is."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.reports import ReportConfig
from fastapi import Path
from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, field_validator

from api.models.common import (
    BUSINESS_KEY_MAX,
    BUSINESS_KEY_PATTERN,
    BusinessKey,
    union_branch,
)
from api.models.reports import ReportRequest

__all__ = [
    "MAX_INTERVAL_SECONDS",
    "CronScheduleRequest",
    "IntervalScheduleRequest",
    "OverlapPolicyName",
    "ReportSchedule",
    "ReportScheduleList",
    "ReportScheduleSummary",
    "ScheduleIdPath",
    "ScheduleNoteBody",
    "ScheduleRequest",
    "ScheduleTriggered",
    "ScheduledRun",
]

MAX_INTERVAL_SECONDS = 366 * 24 * 3600

OverlapPolicyName = Literal[
    "skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"
]
"""What happens when a run is due while the previous one still runs (Temporal's overlap policy):
``skip`` it (the default), buffer one or all of them, cancel or terminate the running one, or
``allow_all`` runs side by side."""

ScheduleIdPath = Annotated[
    str,
    Path(
        pattern=BUSINESS_KEY_PATTERN,
        min_length=1,
        max_length=BUSINESS_KEY_MAX,
        description="The `schedule_id` given when the schedule was created.",
        examples=["nightly-sales"],
    ),
]
"""``{schedule_id}`` of a schedule route."""

_NOTE = Field(default=None, max_length=1000, description="Why, for the people reading it later.")


class _ScheduleFields(BaseModel):
    """What every schedule request has, whichever way its timing is given."""

    model_config = ConfigDict(extra="forbid")

    schedule_id: BusinessKey = Field(
        description="Business key of the schedule; its runs are `scheduled-report-<id>-<time>`."
    )
    time_zone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description="IANA time zone the cron expression is read in, e.g. `Europe/Paris`.",
    )
    overlap_policy: OverlapPolicyName = "skip"
    # Strict: JSON `0` or `"yes"` is not a yes/no answer (the schema says boolean, and so do we).
    paused: StrictBool = Field(default=False, description="Create it paused (`note` can say why).")
    note: str | None = _NOTE
    report: ReportRequest = Field(
        default_factory=ReportRequest, description="The report each run generates."
    )

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r}; use an IANA name such as UTC") from None
        return name


class CronScheduleRequest(_ScheduleFields):
    """A report generated at every time a cron expression names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "schedule_id": "nightly-sales",
                    "cron_expression": "0 2 * * *",
                    "time_zone": "Europe/Paris",
                    "overlap_policy": "skip",
                    "report": {"report_type": "sales", "rows": 1000, "format": "csv"},
                }
            ]
        }
    )

    cron_expression: str = Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9*/,?#@ -]+$",
        description="Standard cron (`minute hour day month weekday`, e.g. `0 2 * * *`) or "
        "`@daily`-style; the server checks the syntax and answers 422 naming this field.",
    )
    # Declared (only ever null) so that both kinds of request read the same way in the route.
    interval_seconds: None = Field(default=None, description="Not with `cron_expression`.")


class IntervalScheduleRequest(_ScheduleFields):
    """A report generated every ``interval_seconds``."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"schedule_id": "hourly-stock", "interval_seconds": 3600}]}
    )

    interval_seconds: int = Field(
        ge=1, le=MAX_INTERVAL_SECONDS, description="Run every so many seconds."
    )
    cron_expression: None = Field(default=None, description="Not with `interval_seconds`.")


def _timing(value: Any) -> str | None:
    # Which kind of request a body is, read from the one timing field it gives; both or neither
    # is no kind at all, and the union answers with the rule instead of every branch's errors.
    if not isinstance(value, Mapping):
        return "cron" if isinstance(value, CronScheduleRequest) else "interval"
    body = cast(Mapping[str, Any], value)
    cron, interval = body.get("cron_expression"), body.get("interval_seconds")
    if (cron is None) == (interval is None):
        return None
    return "cron" if cron is not None else "interval"


ScheduleRequest = Annotated[
    Annotated[CronScheduleRequest, union_branch("cron")]
    | Annotated[IntervalScheduleRequest, union_branch("interval")],
    Discriminator(
        _timing,
        custom_error_type="schedule_timing",
        custom_error_message="give exactly one of cron_expression or interval_seconds",
    ),
]
"""A report to generate at every cron time or every ``interval_seconds``: exactly one of the two,
which the OpenAPI schema states as a ``oneOf`` so clients and fuzzers see the rule too."""


class ScheduleNoteBody(BaseModel):
    """Why a schedule is paused or resumed."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "template being reworked"}]}
    )

    note: str | None = _NOTE


class ScheduledRun(BaseModel):
    """One report the schedule started."""

    workflow_id: str = Field(examples=["scheduled-report-nightly-sales-2026-11-26T02:00:00Z"])
    scheduled_at: datetime
    started_at: datetime
    status_url: str = Field(description="The report's status: `GET /reports/{id}/status`.")


class ReportScheduleSummary(BaseModel):
    """A schedule as the list shows it."""

    schedule_id: str = Field(examples=["nightly-sales"])
    cron_expression: str | None = None
    interval_seconds: int | None = None
    time_zone: str
    paused: bool
    note: str | None = None
    next_run_times: list[datetime] = Field(description="The next few times a report is due.")
    schedule_url: str = Field(examples=["/reports/schedules/nightly-sales"])


class ReportSchedule(ReportScheduleSummary):
    """A schedule with what it generates and what it has done."""

    overlap_policy: OverlapPolicyName
    report: ReportConfig = Field(description="The report each run generates.")
    workflow_id_prefix: str = Field(description="Every run's workflow id starts with it.")
    runs_started: int = Field(description="How many reports the schedule has started.")
    recent_runs: list[ScheduledRun] = Field(description="The latest runs, oldest first.")
    running_workflow_ids: list[str]
    created_at: datetime


class ReportScheduleList(BaseModel):
    """Every report schedule (eventually consistent: a new one can take a moment to appear)."""

    schedules: list[ReportScheduleSummary]


class ScheduleTriggered(BaseModel):
    """202 answer of a trigger: one report starts now, besides the scheduled ones."""

    schedule_id: str
    status: Literal["triggered"] = "triggered"
    schedule_url: str = Field(description="Its `recent_runs` name the report once started.")
