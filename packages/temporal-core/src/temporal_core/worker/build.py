"""``build_worker``: a ``temporalio.worker.Worker`` for one queue, from registry and settings."""

from __future__ import annotations

import concurrent.futures
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from temporal_core.authoring.registry import QueueContents, RegistryError, registry
from temporal_core.client.converter import pydantic_client
from temporal_core.client.settings import TemporalSettings
from temporal_core.worker.activity_defaults import ActivityDefaultsInterceptor
from temporal_core.worker.versioning import (
    UnversionedWorkflowRunner,
    code_build_id,
    deployment_config,
)
from temporal_core.worker.workflow_code import compile_once

__all__ = ["PASSTHROUGH_MODULES", "bind_activities", "build_worker", "sandboxed_runner"]

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
    activities: Sequence[object] | None = None,
    **overrides: Any,
) -> Worker:
    """Return a worker for ``queue`` with its registered workflows and activities.

    Activity methods run on ``activities`` (instances of their classes) when given, else on what
    the queue's registered activities factory builds now (the package's wiring, which reads its
    environment at this moment); module-level activity functions are used as they are.
    Tuning comes from ``settings`` (default: read from the environment) merged with the
    queue's overrides; keyword ``overrides`` are passed to ``Worker`` and win over both
    (``interceptors`` are added to ours). ``task_queue`` polls another Temporal queue name with
    ``queue``'s contents (tests use a fresh one each).
    """
    task_queue = task_queue or queue
    settings = settings or TemporalSettings.load()
    client = pydantic_client(client)
    contents = _queue_contents(queue, activities_given=activities is not None)
    per_queue = settings.for_queue(queue)
    if activities is None:
        activities = [factory() for factory in contents.activity_factories]
    bound = bind_activities(contents.activities, activities)
    # The sandbox re-imports each workflow's package for every run: compile it once instead.
    compile_once(contents.workflows)
    defaults = ActivityDefaultsInterceptor(
        settings, queue, activity_queues=registry.activity_queues()
    )

    max_activities = per_queue.max_concurrent_activities or settings.max_concurrent_activities
    options: dict[str, Any] = {
        "workflows": contents.workflows,
        "activities": bound,
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
    deployment = deployment_config(settings, queue)
    if deployment is not None:
        options["deployment_config"] = deployment
    if settings.identity:
        options["identity"] = settings.identity
    if any(not inspect.iscoroutinefunction(fn) for fn in bound):
        # Synchronous activities need threads; size the pool to the activity slots.
        options["activity_executor"] = concurrent.futures.ThreadPoolExecutor(max_activities)
    extra_interceptors = list(overrides.pop("interceptors", ()))
    options.update(overrides)
    if options.get("deployment_config") is None:
        options["workflow_runner"] = UnversionedWorkflowRunner(options["workflow_runner"])
        if not options.get("build_id") and not options.get("use_worker_versioning"):
            options["build_id"] = code_build_id()
    # Ours last, so interceptors given here see the call as the workflow made it.
    options["interceptors"] = [*extra_interceptors, defaults]
    return Worker(client, task_queue=task_queue, **options)


def _queue_contents(queue: str, *, activities_given: bool) -> QueueContents:
    # A caller that imported only the workflow module (a test, the API's test stack) has not
    # run the package's registration module, which registers the activities factory: import it
    # through the queue's entry point. A queue the caller registered completely stays as it is
    # (the guide's samples register their own "orders" queue).
    if queue not in registry.queues():
        registry.load_queue(queue)
    contents = registry.contents(queue)
    needs_factory = any(_is_method(fn) for fn in contents.activities)
    if needs_factory and not activities_given and not contents.activity_factories:
        registry.load_queue(queue)
        contents = registry.contents(queue)
    return contents


def bind_activities(
    registered: Sequence[Callable[..., Any]], instances: Sequence[object]
) -> list[Callable[..., Any]]:
    """The callables a ``Worker`` runs: each registered method bound to its instance.

    A method is bound to the first of ``instances`` whose class defines it (a subclass may
    override it, under the same activity name); a module-level function is kept as it is.
    Raises ``RegistryError`` for a method no instance provides.
    """
    callables: list[Callable[..., Any]] = []
    for fn in registered:
        owner = next((obj for obj in instances if _defines(type(obj), fn)), None)
        if owner is not None:
            callables.append(getattr(owner, fn.__name__))
        elif _is_method(fn):
            raise RegistryError(
                f"activity {fn.__qualname__} is a method, but no instance of its class was "
                "given: register an activities factory for its queue "
                "(registry.add_activities_factory) or pass activities=[...] to build_worker"
            )
        else:
            callables.append(fn)
    return callables


def _defines(cls: type, fn: Callable[..., Any]) -> bool:
    return any(vars(klass).get(fn.__name__) is fn for klass in cls.__mro__)


def _is_method(fn: Callable[..., Any]) -> bool:
    # "OrderActivities.charge" is a method; "charge" and "test.<locals>.charge" are functions.
    outer = fn.__qualname__.rsplit(".", 2)
    return len(outer) > 1 and outer[-2] != "<locals>"
