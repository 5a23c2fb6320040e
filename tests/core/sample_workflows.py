"""A small workflow/activity pair on the ``core-test`` queue for the BaseWorkflow tests."""

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
