"""Which workflows and activities run on which task queue.

``@workflow_defn(queue=...)`` and ``@activity_defn(queue=...)`` stack with the SDK decorators in
either order; ``@activity_defn`` also works on the methods of an activities class, whose instance
a worker package's registration module supplies with ``registry.add_activities_factory``
(``build_worker`` binds the methods to it). Worker packages announce themselves with an entry
point in the ``temporal_core.workers`` group (name: the queue, value: the module whose import
registers it), so ``discover()`` finds every installed worker package without a hand-kept list.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.metadata import entry_points
from typing import Any, TypeVar

import temporalio.activity
import temporalio.workflow
from temporalio.common import RetryPolicy

from temporal_core.authoring.activity_options import ActivityOptions, declare_options

__all__ = [
    "WORKERS_ENTRY_POINT_GROUP",
    "ActivitiesFactory",
    "QueueContents",
    "Registry",
    "RegistryError",
    "WorkerPackage",
    "activity_defn",
    "installed_worker_distributions",
    "registry",
    "workflow_defn",
]

WORKERS_ENTRY_POINT_GROUP = "temporal_core.workers"

ClassT = TypeVar("ClassT", bound=type)
FuncT = TypeVar("FuncT", bound=Callable[..., Any])

ActivitiesFactory = Callable[[], object]
"""Builds an instance whose ``@activity_defn`` methods a worker runs (with its collaborators)."""


class RegistryError(LookupError):
    """A registration conflicts with another one, or a queue or package is unknown."""


@dataclass(frozen=True)
class WorkerPackage:
    """An installed distribution that serves task queues through the entry-point group."""

    distribution: str
    queues: tuple[str, ...]


@dataclass
class QueueContents:
    """What is registered on one task queue.

    ``activities`` holds module-level functions as they are and methods as their class's
    (unbound) functions; ``activity_factories`` build the instances those methods run on.
    """

    workflows: list[type] = field(default_factory=list[type])
    activities: list[Callable[..., Any]] = field(default_factory=list[Callable[..., Any]])
    activity_factories: list[ActivitiesFactory] = field(default_factory=list[ActivitiesFactory])


def _origin(obj: Any) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def _workflow_name(cls: type) -> str:
    definition = temporalio.workflow._Definition.from_class(cls)  # pyright: ignore[reportPrivateUsage]
    if definition is None or definition.name is None:
        raise RegistryError(f"{_origin(cls)} is registered with a queue but lacks @workflow.defn")
    return definition.name


def _activity_name(fn: Callable[..., Any]) -> str:
    definition = temporalio.activity._Definition.from_callable(  # pyright: ignore[reportPrivateUsage, reportUnknownMemberType]
        fn
    )
    if definition is None or definition.name is None:
        raise RegistryError(f"{_origin(fn)} is registered with a queue but lacks @activity.defn")
    return definition.name


class Registry:
    """Binds workflow classes and activities to task queues; one process-wide instance exists."""

    def __init__(self) -> None:
        self._workflows: dict[str, tuple[str, type]] = {}  # origin -> (queue, class)
        self._activities: dict[str, tuple[str, Callable[..., Any]]] = {}
        self._factories: dict[str, tuple[str, ActivitiesFactory]] = {}
        self._packages: dict[str, WorkerPackage] | None = None

    # Registration -------------------------------------------------------------------------
    def add_workflow(self, cls: type, queue: str) -> None:
        """Bind ``cls`` to ``queue``; a class may live on one queue only."""
        _check_queue_name(queue)
        origin = _origin(cls)
        known = self._workflows.get(origin)
        if known is not None and known[0] != queue:
            raise RegistryError(
                f"workflow {origin} is registered on queue {known[0]!r} and cannot also run on "
                f"{queue!r}; give each queue its own workflow class"
            )
        # Re-importing a module (reload, tests) re-runs the decorator: the newer class wins.
        self._workflows[origin] = (queue, cls)
        self._check_unique_names(strict=False)

    def add_activity(self, fn: Callable[..., Any], queue: str) -> None:
        """Bind activity ``fn`` to ``queue``; an activity may live on one queue only."""
        _check_queue_name(queue)
        origin = _origin(fn)
        known = self._activities.get(origin)
        if known is not None and known[0] != queue:
            raise RegistryError(
                f"activity {origin} is registered on queue {known[0]!r} and cannot also run on "
                f"{queue!r}"
            )
        self._activities[origin] = (queue, fn)
        self._check_unique_names(strict=False)

    def add_activities_factory(self, factory: ActivitiesFactory, queue: str) -> None:
        """Let ``build_worker`` call ``factory`` for the instance ``queue``'s methods run on.

        A worker package's registration module passes its wiring function here, so every
        worker of the queue gets the collaborators that function chooses.
        """
        _check_queue_name(queue)
        # Keyed like the other registrations, so re-importing the module replaces it.
        origin = f"{getattr(factory, '__module__', '')}.{getattr(factory, '__qualname__', factory)}"
        self._factories[origin] = (queue, factory)

    # Queries ------------------------------------------------------------------------------
    def queues(self) -> list[str]:
        """Every queue that has at least one workflow or activity registered, sorted."""
        found = {queue for queue, _ in self._workflows.values()}
        found.update(queue for queue, _ in self._activities.values())
        return sorted(found)

    def contents(self, queue: str) -> QueueContents:
        """What runs on ``queue``, checked for duplicate Temporal names across the process."""
        self._check_unique_names(strict=True)
        contents = QueueContents(
            workflows=[cls for q, cls in self._workflows.values() if q == queue],
            activities=[fn for q, fn in self._activities.values() if q == queue],
            activity_factories=[f for q, f in self._factories.values() if q == queue],
        )
        if not contents.workflows and not contents.activities:
            raise RegistryError(
                f"unknown queue {queue!r}; known queues: {', '.join(self.queues()) or '(none)'}"
            )
        return contents

    def queue_of_workflow(self, cls: type) -> str:
        """The queue ``cls`` was registered on."""
        known = self._workflows.get(_origin(cls))
        if known is None:
            raise RegistryError(
                f"workflow {_origin(cls)} has no queue; decorate it with @workflow_defn(queue=...)"
            )
        return known[0]

    def queue_of_activity(self, fn: Callable[..., Any]) -> str | None:
        """The queue activity ``fn`` was registered on, or None when it was not registered."""
        known = self._activities.get(_origin(fn))
        return known[0] if known is not None else None

    def activity_queues(self) -> dict[str, str]:
        """The queue of every registered activity, by its Temporal activity name."""
        self._check_unique_names(strict=True)
        return {_activity_name(fn): queue for queue, fn in self._activities.values()}

    # Discovery ----------------------------------------------------------------------------
    def discover(self, *, refresh: bool = False) -> list[WorkerPackage]:
        """Import every installed worker package named in the entry-point group.

        The result is cached; ``refresh=True`` reads the installed entry points again.
        """
        if self._packages is None or refresh:
            self._packages = self._load_entry_points()
        return sorted(self._packages.values(), key=lambda package: package.distribution)

    def package(self, distribution: str) -> WorkerPackage | None:
        """The installed worker package called ``distribution`` (``-``/``_`` insensitive)."""
        wanted = _normalise(distribution)
        return next((p for p in self.discover() if _normalise(p.distribution) == wanted), None)

    def load_queue(self, queue: str) -> None:
        """Import the installed worker package module that registers ``queue``, if there is one.

        ``build_worker`` calls this so a queue's registration (its activities factory above
        all) is in place even when the caller imported only the workflow module.
        """
        for point in entry_points(group=WORKERS_ENTRY_POINT_GROUP, name=queue):
            _import_entry_point(point.name, point.value)

    def _load_entry_points(self) -> dict[str, WorkerPackage]:
        by_distribution: dict[str, list[str]] = {}
        for point in entry_points(group=WORKERS_ENTRY_POINT_GROUP):
            queue = point.name
            _import_entry_point(queue, point.value)
            if queue not in self.queues():
                raise RegistryError(
                    f"entry point {queue} = {point.value!r} registered nothing on queue {queue!r}"
                )
            distribution = point.dist.name if point.dist is not None else point.value
            by_distribution.setdefault(distribution, []).append(queue)
        return {
            name: WorkerPackage(distribution=name, queues=tuple(sorted(queues)))
            for name, queues in by_distribution.items()
        }

    def _check_unique_names(self, *, strict: bool) -> None:
        """Fail on two registrations with one Temporal name.

        Not strict while decorators run: a class decorated under ``@workflow.defn`` has no name
        yet, so it is checked when a worker asks for the queue's contents.
        """
        _check_names("workflow", self._workflows, _workflow_name, strict=strict)
        _check_names("activity", self._activities, _activity_name, strict=strict)

    def clear(self) -> None:
        """Forget every registration (for tests)."""
        self._workflows.clear()
        self._activities.clear()
        self._factories.clear()
        self._packages = None


ObjT = TypeVar("ObjT")


def _check_names(
    kind: str,
    entries: dict[str, tuple[str, ObjT]],
    namer: Callable[[ObjT], str],
    *,
    strict: bool,
) -> None:
    seen: dict[str, str] = {}
    for origin, (_, obj) in entries.items():
        try:
            name = namer(obj)
        except RegistryError:
            if strict:
                raise
            continue
        if name in seen:
            raise RegistryError(
                f"{kind} name {name!r} is registered twice: by {seen[name]} and by {origin}; "
                "pass a distinct name= to the SDK decorator"
            )
        seen[name] = origin


def _import_entry_point(queue: str, module: str) -> None:
    try:
        importlib.import_module(module)
    except Exception as error:
        raise RegistryError(
            f"worker package entry point {queue} = {module!r} failed to import: {error}"
        ) from error


def _normalise(name: str) -> str:
    return name.replace("_", "-").lower()


def _check_queue_name(queue: str) -> None:
    if not queue or not queue.strip() or queue != queue.strip():
        raise RegistryError(f"queue name {queue!r} must be a non-empty name without spaces")


registry = Registry()
"""The process-wide registry the decorators write to."""


def _in_sandbox() -> bool:
    # The workflow sandbox re-imports workflow modules for every run; those re-imports must not
    # re-register (the host process already did when it imported the module).
    return temporalio.workflow.unsafe.in_sandbox()


def workflow_defn(*, queue: str) -> Callable[[ClassT], ClassT]:
    """Register a workflow class on ``queue``; stack over or under ``@workflow.defn``."""

    def decorate(cls: ClassT) -> ClassT:
        if not _in_sandbox():
            registry.add_workflow(cls, queue)
        return cls

    return decorate


def activity_defn(
    *,
    queue: str,
    start_to_close_timeout: timedelta | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
) -> Callable[[FuncT], FuncT]:
    """Register an activity on ``queue``; stack over or under ``@activity.defn``.

    The timeouts and retry policy are the activity's own: ``BaseWorkflow.execute_activity`` uses
    them unless the call passes its own, and the worker fills what neither sets from settings.
    Works on module-level functions and on methods of an activities class.
    """
    options = ActivityOptions(
        start_to_close_timeout=start_to_close_timeout,
        schedule_to_close_timeout=schedule_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
    )

    def decorate(fn: FuncT) -> FuncT:
        declare_options(fn, options)
        if not _in_sandbox():
            registry.add_activity(fn, queue)
        return fn

    return decorate


def registered_queues(packages: Iterable[WorkerPackage]) -> list[str]:
    """Every queue served by ``packages``, sorted and without repeats."""
    return sorted({queue for package in packages for queue in package.queues})


def installed_worker_distributions() -> tuple[str, ...]:
    """The installed distributions that announce worker queues, sorted; imports nothing.

    Read from the ``temporal_core.workers`` entry points' metadata only, so a launcher (the local
    stack) can find every worker service without loading any worker code.
    """
    names = {
        point.dist.name
        for point in entry_points(group=WORKERS_ENTRY_POINT_GROUP)
        if point.dist is not None
    }
    return tuple(sorted(names))
