"""``/reports/schedules``: reports generated again and again by a Temporal Schedule.

The schedule lives on the Temporal server: it starts each report itself, at every cron time or
interval, whether or not this API runs. Each run is an ordinary report whose workflow id is
``scheduled-report-<schedule_id>-<time>``, so ``/reports/{id}/status`` and ``/download`` serve it.

A schedule belongs to the caller that created it (api.schedule_calls): another caller gets the
same 404 as for an unknown id, and the runs carry the owner, so they are the owner's reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from contracts.reports import REPORT
from fastapi import APIRouter, Body, Response
from temporalio.client import (
    ScheduleActionExecutionStartWorkflow,
    ScheduleDescription,
    ScheduleListDescription,
    ScheduleOverlapPolicy,
    ScheduleSpec,
)

from api.auth.dependencies import ReportsReader, ReportsWriter
from api.deps import ScheduleCallsDep, StartLimiterDep
from api.models.schedules import (
    OverlapPolicyName,
    ReportSchedule,
    ReportScheduleList,
    ReportScheduleSummary,
    ScheduledRun,
    ScheduleIdPath,
    ScheduleNoteBody,
    ScheduleRequest,
    ScheduleTriggered,
)
from api.problems import problem_responses
from api.routes.reports import REPORT_EXECUTION_TIMEOUT
from api.schedule_calls import CRON_MEMO_KEY

__all__ = ["router", "scheduled_report_prefix"]

router = APIRouter(prefix="/reports/schedules", tags=["report schedules"])

NEXT_RUN_TIMES_SHOWN = 5

NoteBody = Annotated[ScheduleNoteBody | None, Body()]


def scheduled_report_prefix(schedule_id: str) -> str:
    """The start of every run's workflow id; distinct from ``report-<key>`` of one-off reports."""
    return f"scheduled-report-{schedule_id}"


def _schedule_url(schedule_id: str) -> str:
    return f"/reports/schedules/{schedule_id}"


@router.post(
    "",
    status_code=201,
    response_model=ReportSchedule,
    responses=problem_responses(400, 409, 413, 422, 429, 503),
    summary="Create a report schedule",
)
async def create_schedule(
    caller: ReportsWriter,
    request: ScheduleRequest,
    schedules: ScheduleCallsDep,
    limiter: StartLimiterDep,
    response: Response,
) -> ReportSchedule:
    """Generate ``report`` at every ``cron_expression`` time or every ``interval_seconds``.

    201 with ``Location``; 409 when the ``schedule_id`` is taken (by anyone: schedule ids are
    shared by every caller); 422 naming the field when the cron expression, interval or time zone
    is not valid. Creating counts as a start against the caller's rate.
    """
    limiter.take(caller.subject)
    schedules = schedules.on_behalf_of(caller)
    await schedules.create(
        REPORT,
        request.report.to_config(),
        schedule_id=request.schedule_id,
        workflow_id_prefix=scheduled_report_prefix(request.schedule_id),
        cron_expression=request.cron_expression,
        interval=timedelta(seconds=request.interval_seconds) if request.interval_seconds else None,
        time_zone=request.time_zone,
        overlap=_OVERLAP_POLICIES[request.overlap_policy],
        paused=request.paused,
        note=request.note,
        execution_timeout=REPORT_EXECUTION_TIMEOUT,
    )
    response.headers["Location"] = _schedule_url(request.schedule_id)
    return await _describe(schedules, request.schedule_id)


@router.get(
    "",
    response_model=ReportScheduleList,
    responses=problem_responses(503),
    summary="List report schedules",
)
async def list_schedules(caller: ReportsReader, schedules: ScheduleCallsDep) -> ReportScheduleList:
    """The caller's report schedules (an admin's: all) with their next run times.

    New ones may take a moment to appear.
    """
    listed = await schedules.on_behalf_of(caller).list_all(REPORT)
    return ReportScheduleList(schedules=[await _summary(item) for item in listed])


@router.get(
    "/{schedule_id}",
    response_model=ReportSchedule,
    responses=problem_responses(404, 422, 503),
    summary="Describe a report schedule",
)
async def describe_schedule(
    caller: ReportsReader, schedule_id: ScheduleIdPath, schedules: ScheduleCallsDep
) -> ReportSchedule:
    """Timing, the report it generates, paused and note, next run times and recent runs."""
    return await _describe(schedules.on_behalf_of(caller), schedule_id)


@router.post(
    "/{schedule_id}/pause",
    response_model=ReportSchedule,
    responses=problem_responses(400, 404, 413, 422, 503),
    summary="Pause a report schedule",
)
async def pause_schedule(
    caller: ReportsWriter,
    schedule_id: ScheduleIdPath,
    schedules: ScheduleCallsDep,
    body: NoteBody = None,
) -> ReportSchedule:
    """No more runs start until it is unpaused (a trigger still starts one); ``note`` says why."""
    schedules = schedules.on_behalf_of(caller)
    await schedules.pause(REPORT, schedule_id, body.note if body else None)
    return await _describe(schedules, schedule_id)


@router.post(
    "/{schedule_id}/unpause",
    response_model=ReportSchedule,
    responses=problem_responses(400, 404, 413, 422, 503),
    summary="Resume a paused report schedule",
)
async def unpause_schedule(
    caller: ReportsWriter,
    schedule_id: ScheduleIdPath,
    schedules: ScheduleCallsDep,
    body: NoteBody = None,
) -> ReportSchedule:
    """Runs start again at the schedule's next times; missed times are not made up."""
    schedules = schedules.on_behalf_of(caller)
    await schedules.unpause(REPORT, schedule_id, body.note if body else None)
    return await _describe(schedules, schedule_id)


@router.post(
    "/{schedule_id}/trigger",
    status_code=202,
    response_model=ScheduleTriggered,
    responses=problem_responses(404, 422, 429, 503),
    summary="Generate one report now",
)
async def trigger_schedule(
    caller: ReportsWriter,
    schedule_id: ScheduleIdPath,
    schedules: ScheduleCallsDep,
    limiter: StartLimiterDep,
    response: Response,
) -> ScheduleTriggered:
    """Start one run at once (also while paused), under the schedule's overlap policy."""
    limiter.take(caller.subject)
    await schedules.on_behalf_of(caller).trigger(REPORT, schedule_id)
    response.headers["Location"] = _schedule_url(schedule_id)
    return ScheduleTriggered(schedule_id=schedule_id, schedule_url=_schedule_url(schedule_id))


@router.delete(
    "/{schedule_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(404, 422, 503),
    summary="Delete a report schedule",
)
async def delete_schedule(
    caller: ReportsWriter, schedule_id: ScheduleIdPath, schedules: ScheduleCallsDep
) -> None:
    """No more runs start; reports it already started run to their end."""
    await schedules.on_behalf_of(caller).delete(REPORT, schedule_id)


async def _describe(schedules: ScheduleCallsDep, schedule_id: str) -> ReportSchedule:
    description = await schedules.describe(REPORT, schedule_id)
    info = description.info
    spec = description.schedule.spec
    action = description.schedule.action
    recent = [
        ScheduledRun(
            workflow_id=result.action.workflow_id,
            scheduled_at=result.scheduled_at,
            started_at=result.started_at,
            status_url=f"/reports/{result.action.workflow_id}/status",
        )
        for result in info.recent_actions
        if isinstance(result.action, ScheduleActionExecutionStartWorkflow)
    ]
    config = await schedules.start_input(REPORT, description)
    return ReportSchedule(
        schedule_id=schedule_id,
        cron_expression=await _cron_expression(description),
        interval_seconds=_interval_seconds(spec),
        time_zone=spec.time_zone_name or "UTC",
        paused=description.schedule.state.paused,
        note=description.schedule.state.note,
        next_run_times=list(info.next_action_times[:NEXT_RUN_TIMES_SHOWN]),
        schedule_url=_schedule_url(schedule_id),
        overlap_policy=_overlap_name(description.schedule.policy.overlap),
        report=config,
        workflow_id_prefix=getattr(action, "id", scheduled_report_prefix(schedule_id)),
        runs_started=info.num_actions,
        recent_runs=recent,
        running_workflow_ids=[
            run.workflow_id
            for run in info.running_actions
            if isinstance(run, ScheduleActionExecutionStartWorkflow)
        ],
        created_at=info.created_at,
    )


async def _summary(listed: ScheduleListDescription) -> ReportScheduleSummary:
    spec = listed.schedule.spec if listed.schedule else ScheduleSpec()
    state = listed.schedule.state if listed.schedule else None
    cron: str | None = await listed.memo_value(CRON_MEMO_KEY, None)
    return ReportScheduleSummary(
        schedule_id=listed.id,
        cron_expression=cron,
        interval_seconds=_interval_seconds(spec),
        time_zone=spec.time_zone_name or "UTC",
        paused=state.paused if state else False,
        note=state.note if state else None,
        next_run_times=list(listed.info.next_action_times[:NEXT_RUN_TIMES_SHOWN])
        if listed.info
        else [],
        schedule_url=_schedule_url(listed.id),
    )


async def _cron_expression(description: ScheduleDescription) -> str | None:
    # The server keeps cron expressions only as calendars; the expression given is in the memo.
    cron: str | None = await description.memo_value(CRON_MEMO_KEY, None)
    return cron


def _interval_seconds(spec: ScheduleSpec) -> int | None:
    if not spec.intervals:
        return None
    return int(spec.intervals[0].every.total_seconds())


def _overlap_name(policy: ScheduleOverlapPolicy) -> OverlapPolicyName:
    return next(name for name, value in _OVERLAP_POLICIES.items() if value == policy)


_OVERLAP_POLICIES: dict[OverlapPolicyName, ScheduleOverlapPolicy] = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL,
    "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate_other": ScheduleOverlapPolicy.TERMINATE_OTHER,
    "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
}
