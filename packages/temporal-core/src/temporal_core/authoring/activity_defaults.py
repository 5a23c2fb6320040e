"""Activity timeouts and retry that ``BaseWorkflow.execute_activity`` applies per task queue.

Workflow code must not read the environment, so the worker resolves these from settings when it
is built (``build_worker``) and installs them here; the workflow looks them up by its own queue.
This module is passed through the workflow sandbox, so host and sandbox see the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio.common import RetryPolicy

from temporal_core.client.settings import TemporalSettings

__all__ = ["ActivityDefaults", "for_queue", "install", "resolve"]


@dataclass(frozen=True)
class ActivityDefaults:
    """The activity options a workflow on one queue uses unless a call overrides them."""

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


_installed: dict[str, ActivityDefaults] = {}


def install(queue: str, defaults: ActivityDefaults) -> None:
    """Make ``defaults`` the activity options for workflows running on ``queue``."""
    _installed[queue] = defaults


def for_queue(queue: str) -> ActivityDefaults:
    """The installed defaults for ``queue``, or the built-in ones when no worker installed any."""
    installed = _installed.get(queue)
    if installed is not None:
        return installed
    # model_construct skips the environment: workflow code stays deterministic even when a test
    # runs a hand-made Worker that never called install().
    return resolve(TemporalSettings.model_construct(), queue)
