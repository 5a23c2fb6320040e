"""Report schedule requests and answers: when a report runs again and again, and what it is."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.reports import ReportConfig
from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.models.common import BUSINESS_KEY_MAX, BUSINESS_KEY_PATTERN, BusinessKey
from api.models.reports import ReportRequest

__all__ = [
    "MAX_INTERVAL_SECONDS",
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


class ScheduleRequest(BaseModel):
    """A report to generate at every cron time or every ``interval_seconds`` (exactly one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "schedule_id": "nightly-sales",
                    "cron_expression": "0 2 * * *",
                    "time_zone": "Europe/Paris",
                    "overlap_policy": "skip",
                    "report": {"report_type": "sales", "rows": 1000, "format": "csv"},
                },
                {"schedule_id": "hourly-stock", "interval_seconds": 3600},
            ]
        },
    )

    schedule_id: BusinessKey = Field(
        description="Business key of the schedule; its runs are `scheduled-report-<id>-<time>`."
    )
    cron_expression: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9*/,?#@ -]+$",
        description="Standard cron (`minute hour day month weekday`, e.g. `0 2 * * *`) or "
        "`@daily`-style; the server checks the syntax and answers 422 naming this field.",
    )
    interval_seconds: int | None = Field(
        default=None, ge=1, le=MAX_INTERVAL_SECONDS, description="Run every so many seconds."
    )
    time_zone: str = Field(
        default="UTC",
        min_length=1,
        max_length=64,
        description="IANA time zone the cron expression is read in, e.g. `Europe/Paris`.",
    )
    overlap_policy: OverlapPolicyName = "skip"
    paused: bool = Field(default=False, description="Create it paused (`note` can say why).")
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

    @model_validator(mode="after")
    def _exactly_one_timing(self) -> ScheduleRequest:
        if (self.cron_expression is None) == (self.interval_seconds is None):
            raise ValueError("give exactly one of cron_expression or interval_seconds")
        return self


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
