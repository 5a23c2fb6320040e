"""Create a Temporal Schedule that starts one workflow type with one typed input.

A Temporal Schedule lives on the server: it starts a workflow at every cron time or interval,
with an overlap policy, and can be paused, triggered or deleted by id without any process of
ours running. :func:`create_workflow_schedule` is the one place that builds such a schedule;
``BaseWorkflow.create_schedule`` (for code that has the workflow class) and
``WorkflowContract.create_schedule`` (for callers that only know the contract, like the API) both
delegate here, so the two cannot drift.

Every run a schedule starts gets the workflow id ``<workflow_id_prefix>-<scheduled time>``
(the server appends the time), so the runs of one schedule are easy to find and never collide.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleHandle,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
)
from temporalio.common import RetryPolicy, TypedSearchAttributes

from temporal_core.authoring.search_attributes import (
    SearchAttributesInput,
    to_typed_search_attributes,
)
from temporal_core.client.converter import pydantic_client

__all__ = ["create_workflow_schedule", "schedule_spec"]


def schedule_spec(
    *,
    cron_expressions: Sequence[str] = (),
    intervals: Sequence[timedelta] = (),
    time_zone: str | None = None,
) -> ScheduleSpec:
    """When a schedule fires: cron expressions and/or fixed intervals, in ``time_zone``.

    Raises ``ValueError`` when neither is given (a schedule that never fires) or an interval is
    not positive; the server checks the cron syntax and the time zone name.
    """
    if not cron_expressions and not intervals:
        raise ValueError("a schedule needs at least one cron expression or interval")
    for interval in intervals:
        if interval <= timedelta(0):
            raise ValueError(f"a schedule interval must be positive, got {interval}")
    return ScheduleSpec(
        cron_expressions=list(cron_expressions),
        intervals=[ScheduleIntervalSpec(every=every) for every in intervals],
        time_zone_name=time_zone,
    )


async def create_workflow_schedule(
    client: Client,
    *,
    workflow: str,
    input: Any,
    task_queue: str,
    schedule_id: str,
    cron_expressions: Sequence[str] = (),
    intervals: Sequence[timedelta] = (),
    time_zone: str | None = None,
    overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP,
    workflow_id_prefix: str | None = None,
    paused: bool = False,
    note: str | None = None,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributesInput | None = None,
    schedule_memo: Mapping[str, Any] | None = None,
    trigger_immediately: bool = False,
    rpc_timeout: timedelta | None = None,
) -> ScheduleHandle:
    """Create schedule ``schedule_id`` that starts ``workflow(input)`` on ``task_queue``.

    ``overlap`` decides what happens when a run is still going at the next time (default: skip
    it). Runs are named ``<workflow_id_prefix>-<time>``; the prefix defaults to the schedule id.
    ``paused`` creates it paused with ``note`` saying why. The timeouts, retry policy, ``memo``
    and ``search_attributes`` apply to each run; ``schedule_memo`` is kept on the schedule itself
    (the server rewrites cron expressions into calendars, so a caller that wants to show the
    expression it was given keeps it there). Unlike a direct start, a scheduled start is made by
    the server, so the client's configured start defaults do not reach it. Raises
    ``ScheduleAlreadyRunningError`` when a schedule with this id exists.
    """
    client = pydantic_client(client)
    typed_attributes: TypedSearchAttributes = (
        to_typed_search_attributes(search_attributes)
        if search_attributes
        else TypedSearchAttributes.empty
    )
    action = ScheduleActionStartWorkflow(
        workflow,
        input,
        id=workflow_id_prefix or schedule_id,
        task_queue=task_queue,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        retry_policy=retry_policy,
        memo=memo,
        typed_search_attributes=typed_attributes,
    )
    schedule = Schedule(
        action=action,
        spec=schedule_spec(
            cron_expressions=cron_expressions, intervals=intervals, time_zone=time_zone
        ),
        policy=SchedulePolicy(overlap=overlap),
        state=ScheduleState(paused=paused, note=note),
    )
    return await client.create_schedule(
        schedule_id,
        schedule,
        memo=schedule_memo,
        trigger_immediately=trigger_immediately,
        rpc_timeout=rpc_timeout,
    )
