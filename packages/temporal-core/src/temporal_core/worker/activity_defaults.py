"""Fill what a workflow's activity call left unset: settings' timeouts and retry, and the queue.

``build_worker`` installs one :class:`ActivityDefaultsInterceptor` per worker. It is built on the
host from the settings for the worker's queue and the registry, so workflow code reads no table
and no environment: when a workflow schedules an activity, the interceptor's outbound
``start_activity`` fills each timeout and the retry policy that neither the call nor the
activity's own ``@activity_defn`` options set (per-queue ``TEMPORAL_QUEUES__<Q>__ACTIVITY_*``,
else the global ``TEMPORAL_ACTIVITY_*``), and sends an activity registered on another queue to
that queue. The SDK checks that an activity has a timeout only after the outbound interceptors
ran, so a call without one is valid here.

This module is passed through the workflow sandbox with the rest of ``temporal_core``: the
interceptor the sandboxed workflow calls is the one the host built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from temporalio.common import RetryPolicy
from temporalio.worker import (
    Interceptor,
    StartActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from temporalio.workflow import ActivityHandle

from temporal_core.client.settings import TemporalSettings

__all__ = ["ActivityDefaults", "ActivityDefaultsInterceptor", "resolve"]


@dataclass(frozen=True)
class ActivityDefaults:
    """The activity options settings give one queue, for whatever a call leaves unset."""

    start_to_close_timeout: timedelta | None
    schedule_to_close_timeout: timedelta | None
    heartbeat_timeout: timedelta | None
    retry_policy: RetryPolicy


def resolve(settings: TemporalSettings, queue: str) -> ActivityDefaults:
    """Merge the global activity settings with ``queue``'s overrides."""
    overrides = settings.for_queue(queue)
    retry = overrides.activity_retry or settings.activity_retry
    return ActivityDefaults(
        start_to_close_timeout=overrides.activity_start_to_close_timeout
        or settings.activity_start_to_close_timeout,
        schedule_to_close_timeout=overrides.activity_schedule_to_close_timeout
        or settings.activity_schedule_to_close_timeout,
        heartbeat_timeout=overrides.activity_heartbeat_timeout
        or settings.activity_heartbeat_timeout,
        retry_policy=retry.to_policy(),
    )


class ActivityDefaultsInterceptor(Interceptor):
    """Completes the activity calls of the workflows on one worker (see the module docstring)."""

    def __init__(
        self,
        settings: TemporalSettings,
        queue: str,
        *,
        activity_queues: Mapping[str, str] | None = None,
    ) -> None:
        """Resolve the defaults of ``queue`` and of every queue an activity is routed to.

        ``activity_queues`` maps activity names to the queue they are registered on; an
        activity registered on ``queue`` itself runs on the task queue of the calling workflow
        (which tests and deployments may rename), any other goes to its registered queue.
        """
        self._routes = {
            name: home for name, home in (activity_queues or {}).items() if home != queue
        }
        self._own_defaults = resolve(settings, queue)
        self._defaults_by_queue = {home: resolve(settings, home) for home in self._routes.values()}
        interceptor = self

        class _Inbound(_DefaultsInbound):
            owner = interceptor

        self._inbound_class = _Inbound

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        """The inbound interceptor that wraps each workflow's outbound calls with ours."""
        return self._inbound_class

    def complete(self, input: StartActivityInput) -> StartActivityInput:
        """``input`` with its queue routed and every unset timeout and retry filled."""
        task_queue = input.task_queue or self._routes.get(input.activity)
        defaults = self._defaults_by_queue.get(task_queue or "", self._own_defaults)
        return dataclasses.replace(
            input,
            task_queue=task_queue,
            start_to_close_timeout=input.start_to_close_timeout or defaults.start_to_close_timeout,
            schedule_to_close_timeout=input.schedule_to_close_timeout
            or defaults.schedule_to_close_timeout,
            heartbeat_timeout=input.heartbeat_timeout or defaults.heartbeat_timeout,
            retry_policy=input.retry_policy or defaults.retry_policy,
        )


class _DefaultsInbound(WorkflowInboundInterceptor):
    owner: ClassVar[ActivityDefaultsInterceptor]  # set on the per-worker subclass

    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_DefaultsOutbound(outbound, self.owner))


class _DefaultsOutbound(WorkflowOutboundInterceptor):
    def __init__(
        self, next: WorkflowOutboundInterceptor, owner: ActivityDefaultsInterceptor
    ) -> None:
        super().__init__(next)
        self._owner = owner

    def start_activity(self, input: StartActivityInput) -> ActivityHandle[Any]:
        return super().start_activity(self._owner.complete(input))
