"""``build_worker``: a ``temporalio.worker.Worker`` for one queue, from registry and settings."""

from __future__ import annotations

import concurrent.futures
import inspect
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from temporal_core.authoring import activity_defaults
from temporal_core.authoring.registry import registry
from temporal_core.client.converter import pydantic_client
from temporal_core.client.settings import TemporalSettings

__all__ = ["PASSTHROUGH_MODULES", "build_worker", "sandboxed_runner"]

PASSTHROUGH_MODULES = (
    "temporal_core",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "opentelemetry",
)
"""Modules the workflow sandbox shares with the host instead of re-importing for every run.

They are deterministic libraries (or our own, which workflows only read); passing them through
keeps each workflow task from paying for a fresh import of pydantic and friends.
"""


def sandboxed_runner(*extra_passthrough: str) -> SandboxedWorkflowRunner:
    """The sandbox runner with :data:`PASSTHROUGH_MODULES` plus ``extra_passthrough``."""
    restrictions = SandboxRestrictions.default.with_passthrough_modules(
        *PASSTHROUGH_MODULES, *extra_passthrough
    )
    return SandboxedWorkflowRunner(restrictions=restrictions)


def build_worker(
    client: Client,
    queue: str,
    *,
    settings: TemporalSettings | None = None,
    task_queue: str | None = None,
    **overrides: Any,
) -> Worker:
    """Return a worker for ``queue`` with its registered workflows and activities.

    Tuning comes from ``settings`` (default: read from the environment) merged with
    the queue's overrides; keyword ``overrides`` are passed to ``Worker`` and win over both.
    ``task_queue`` polls another Temporal queue name with ``queue``'s contents (tests use a fresh
    one each). The activity defaults are installed for ``BaseWorkflow.execute_activity``.
    """
    task_queue = task_queue or queue
    settings = settings or TemporalSettings.load()
    client = pydantic_client(client)
    contents = registry.contents(queue)
    per_queue = settings.for_queue(queue)
    activity_defaults.install(task_queue, activity_defaults.resolve(settings, queue))

    max_activities = per_queue.max_concurrent_activities or settings.max_concurrent_activities
    options: dict[str, Any] = {
        "workflows": contents.workflows,
        "activities": contents.activities,
        "workflow_runner": sandboxed_runner(),
        "max_concurrent_activities": max_activities,
        "max_concurrent_workflow_tasks": per_queue.max_concurrent_workflow_tasks
        or settings.max_concurrent_workflow_tasks,
        "max_cached_workflows": per_queue.max_cached_workflows
        if per_queue.max_cached_workflows is not None
        else settings.max_cached_workflows,
        "max_concurrent_workflow_task_polls": per_queue.workflow_task_pollers
        or settings.workflow_task_pollers,
        "max_concurrent_activity_task_polls": per_queue.activity_task_pollers
        or settings.activity_task_pollers,
        "graceful_shutdown_timeout": per_queue.drain_timeout
        if per_queue.drain_timeout is not None
        else settings.drain_timeout,
    }
    if settings.identity:
        options["identity"] = settings.identity
    if any(not inspect.iscoroutinefunction(fn) for fn in contents.activities):
        # Synchronous activities need threads; size the pool to the activity slots.
        options["activity_executor"] = concurrent.futures.ThreadPoolExecutor(max_activities)
    options.update(overrides)
    return Worker(client, task_queue=task_queue, **options)
