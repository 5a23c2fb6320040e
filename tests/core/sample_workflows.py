"""A small workflow/activity pair on the ``core-test`` queue for the BaseWorkflow tests.

``GreetingWorkflow`` also takes the ``invite`` update, whose validator refuses a guest invited
already, for the typed update helpers.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from temporal_core import BaseWorkflow, activity_defn, workflow_defn
from temporalio import activity, workflow

QUEUE = "core-test"


class GreetInput(BaseModel):
    name: str
    wait_for_cancel: bool = False


class GreetOutput(BaseModel):
    greeting: str
    activity_start_to_close_seconds: float
    activity_max_attempts: int
    cancelled_because: str | None = None


class Guest(BaseModel):
    name: str


class GuestList(BaseModel):
    guests: list[str]


class ActivityReport(BaseModel):
    greeting: str
    start_to_close_seconds: float
    max_attempts: int


@activity_defn(queue=QUEUE)
@activity.defn(name="core_test_greet")
async def greet(name: str) -> ActivityReport:
    info = activity.info()
    policy = info.retry_policy
    return ActivityReport(
        greeting=f"Hello, {name}",
        start_to_close_seconds=(info.start_to_close_timeout or timedelta()).total_seconds(),
        max_attempts=policy.maximum_attempts if policy else -1,
    )


@workflow_defn(queue=QUEUE)
@workflow.defn(name="CoreTestGreeting")
class GreetingWorkflow(BaseWorkflow[GreetInput, GreetOutput]):
    def __init__(self) -> None:
        super().__init__()
        self.guests: list[str] = []

    @workflow.update
    def invite(self, guest: Guest) -> GuestList:
        self.guests.append(guest.name)
        return GuestList(guests=list(self.guests))

    @invite.validator
    def _refuse_a_second_invitation(self, guest: Guest) -> None:
        if guest.name in self.guests:
            raise ValueError(f"{guest.name} is invited already")

    @workflow.run
    async def run(self, input: GreetInput) -> GreetOutput:
        self.step = "greeting"
        report: ActivityReport = await self.execute_activity(greet, input.name)
        self.progress = 50
        if input.wait_for_cancel:
            self.step = "waiting"
            await workflow.wait_condition(lambda: self.cancel_requested)
        self.status = "completed"
        self.progress = 100
        return GreetOutput(
            greeting=report.greeting,
            activity_start_to_close_seconds=report.start_to_close_seconds,
            activity_max_attempts=report.max_attempts,
            cancelled_because=self.cancel_reason,
        )


OTHER_QUEUE = "core-test-other"
"""A second queue: its activity runs on a worker of its own, wherever the caller runs."""


class OptionsReport(BaseModel):
    start_to_close_seconds: float
    heartbeat_seconds: float | None
    max_attempts: int


class OptionsOutput(BaseModel):
    declared: OptionsReport
    overridden: OptionsReport
    other_queue_ran_on: str


def _options_report() -> OptionsReport:
    info = activity.info()
    policy = info.retry_policy
    heartbeat = info.heartbeat_timeout
    return OptionsReport(
        start_to_close_seconds=(info.start_to_close_timeout or timedelta()).total_seconds(),
        heartbeat_seconds=heartbeat.total_seconds() if heartbeat else None,
        max_attempts=policy.maximum_attempts if policy else -1,
    )


@activity_defn(
    queue=QUEUE,
    start_to_close_timeout=timedelta(seconds=7),
    heartbeat_timeout=timedelta(seconds=3),
)
@activity.defn(name="core_test_declared_options")
async def declared_options() -> OptionsReport:
    return _options_report()


@activity_defn(queue=OTHER_QUEUE)
@activity.defn(name="core_test_where")
async def where_it_ran() -> str:
    return activity.info().task_queue


@workflow_defn(queue=QUEUE)
@workflow.defn(name="CoreTestActivityOptions")
class ActivityOptionsWorkflow(BaseWorkflow[None, OptionsOutput]):
    @workflow.run
    async def run(self, input: None) -> OptionsOutput:
        declared: OptionsReport = await self.execute_activity(declared_options)
        overridden: OptionsReport = await self.execute_activity(
            declared_options, start_to_close_timeout=timedelta(seconds=9)
        )
        ran_on: str = await self.execute_activity(where_it_ran)
        return OptionsOutput(declared=declared, overridden=overridden, other_queue_ran_on=ran_on)
