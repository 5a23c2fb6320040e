"""The workflow the benchmarks start: one trivial activity, so the numbers are mostly overhead."""

from __future__ import annotations

from pydantic import BaseModel
from temporal_core import BaseWorkflow, activity_defn, workflow_defn
from temporalio import activity, workflow

QUEUE = "bench"


class EchoInput(BaseModel):
    text: str


class EchoOutput(BaseModel):
    text: str


@activity_defn(queue=QUEUE)
@activity.defn(name="bench_echo")
async def echo(text: str) -> str:
    return text


@workflow_defn(queue=QUEUE)
@workflow.defn(name="BenchEcho")
class EchoWorkflow(BaseWorkflow[EchoInput, EchoOutput]):
    @workflow.run
    async def run(self, input: EchoInput) -> EchoOutput:
        return EchoOutput(text=await self.execute_activity(echo, input.text))


@workflow.defn(name="BenchEchoRaw")
class RawEchoWorkflow:
    """The same workflow written against the bare SDK, as the baseline."""

    @workflow.run
    async def run(self, input: EchoInput) -> EchoOutput:
        from datetime import timedelta

        text = await workflow.execute_activity(
            echo, input.text, start_to_close_timeout=timedelta(minutes=5)
        )
        return EchoOutput(text=text)
