"""Activity options: the call's, else the activity's own, else settings; and queue routing.

Checked on a real dev server through what each activity attempt was actually given.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporal_core import RegistryError, TemporalSettings, build_worker
from temporal_core.worker.build import bind_activities
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from tests.core.sample_workflows import OTHER_QUEUE, QUEUE, ActivityOptionsWorkflow


async def test_declared_options_win_over_settings_and_call_options_over_both(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    settings = TemporalSettings(
        activity_start_to_close_timeout=timedelta(seconds=42),
        activity_heartbeat_timeout=timedelta(seconds=40),
        queues={"core-test": {"activity_retry": {"maximum_attempts": 3}}},  # type: ignore[dict-item]
    )
    client = temporal_env.client
    # The other queue's activity runs on that queue's own worker, under its registered name.
    async with (
        build_worker(client, QUEUE, settings=settings, task_queue=task_queue),
        build_worker(client, OTHER_QUEUE, settings=settings),
    ):
        result = await ActivityOptionsWorkflow.execute_workflow(
            client, input=None, id=f"options-{uuid.uuid4().hex[:8]}", task_queue=task_queue
        )

    assert result.declared.start_to_close_seconds == 7
    assert result.declared.heartbeat_seconds == 3
    assert result.declared.max_attempts == 3  # declared none: the queue's setting fills it
    assert result.overridden.start_to_close_seconds == 9
    assert result.overridden.heartbeat_seconds == 3
    assert result.other_queue_ran_on == OTHER_QUEUE


class _Acts:
    @activity.defn(name="core_test_unbound")
    async def method(self) -> None: ...


def test_a_method_activity_without_an_instance_is_a_clear_error() -> None:
    with pytest.raises(RegistryError, match=r"_Acts\.method is a method, but no instance"):
        bind_activities([_Acts.method], [])


def test_methods_bind_to_the_given_instance_and_functions_stay_as_they_are() -> None:
    acts = _Acts()

    @activity.defn(name="core_test_plain")
    async def plain() -> None: ...

    bound = bind_activities([_Acts.method, plain], [acts])

    assert bound == [acts.method, plain]
