"""ActivityTracker as pure logic: its interceptor driven with fake activities, thousands of them."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from temporal_core.worker.activity_tracking import ActivityTracker
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput


class _Activity(ActivityInboundInterceptor):
    """The end of the chain: runs ``input.fn`` the way the worker would."""

    def __init__(self) -> None:
        pass  # nothing further down the chain

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        return await input.fn(*input.args)


def tracked(tracker: ActivityTracker) -> ActivityInboundInterceptor:
    return tracker.intercept_activity(_Activity())


def run_input(fn: Any) -> ExecuteActivityInput:
    return ExecuteActivityInput(fn=fn, args=(), executor=None, headers={})


async def run_as(inbound: ActivityInboundInterceptor, activity_id: str, fn: Any) -> Any:
    """Run ``fn`` through ``inbound`` as activity ``activity_id`` of workflow ``wf``."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, activity_id=activity_id, workflow_id="wf", task_queue="q", attempt=1
    )
    return await env.run(inbound.execute_activity, run_input(fn))


async def test_thousands_of_finished_activities_leave_nothing_behind() -> None:
    tracker = ActivityTracker()
    inbound = tracked(tracker)

    async def ok() -> str:
        return "done"

    async def broken() -> None:
        raise ValueError("bad input")

    for number in range(3000):
        if number % 3:
            assert await run_as(inbound, str(number), ok) == "done"
        else:
            with pytest.raises(ValueError, match="bad input"):
                await run_as(inbound, str(number), broken)
        assert tracker.retained() == 0

    assert tracker.in_flight() == []


async def test_a_drain_learns_how_its_in_flight_runs_ended_and_nothing_else() -> None:
    tracker = ActivityTracker()
    inbound = tracked(tracker)
    release = asyncio.Event()
    started = asyncio.Semaphore(0)

    async def held() -> str:
        started.release()
        await release.wait()
        return "done"

    async def held_then_fails() -> None:
        started.release()
        await release.wait()
        raise RuntimeError("gateway down")

    async def quick() -> None:
        return None

    first = asyncio.create_task(run_as(inbound, "held-1", held))
    second = asyncio.create_task(run_as(inbound, "held-2", held_then_fails))
    await started.acquire()
    await started.acquire()

    watched = tracker.watch_in_flight()
    # Work that runs while the drain waits is not kept.
    for number in range(1000):
        await run_as(inbound, f"late-{number}", quick)
    assert tracker.outcomes_of(watched) == {run.key: "still running" for run in watched}
    release.set()
    await first
    await asyncio.gather(second, return_exceptions=True)

    assert [run.activity_id for run in watched] == ["held-1", "held-2"]
    assert tracker.outcomes_of(watched) == {"wf/held-1/1": "completed", "wf/held-2/1": "failed"}
    assert tracker.retained() == 2  # the two the drain asked about, nothing more
