"""The timeouts and retry policy an activity declares for itself with ``@activity_defn``.

They are kept on the activity's function object (an attribute, like the SDK's own definition),
not in a table: ``BaseWorkflow.execute_activity`` reads them from the function it is handed, so
workflow code reads nothing but its arguments. Whatever an activity leaves unset is filled on the
worker from settings (``temporal_core.worker.activity_defaults``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.common import RetryPolicy

__all__ = ["ActivityOptions", "declare_options", "declared_options"]

_ATTRIBUTE = "__temporal_core_activity_options__"


@dataclass(frozen=True)
class ActivityOptions:
    """Options one activity declares; None leaves the option to the call or to settings."""

    start_to_close_timeout: timedelta | None = None
    schedule_to_close_timeout: timedelta | None = None
    heartbeat_timeout: timedelta | None = None
    retry_policy: RetryPolicy | None = None


def declare_options(fn: Callable[..., Any], options: ActivityOptions) -> None:
    """Keep ``options`` on ``fn`` (a function, or a method's function inside its class)."""
    setattr(fn, _ATTRIBUTE, options)


def declared_options(fn: Callable[..., Any]) -> ActivityOptions:
    """The options ``fn`` declared; none declared for a plain ``@activity.defn`` callable.

    Bound methods forward attribute reads to their function, so ``instance.method`` and
    ``Class.method`` give the same answer.
    """
    options = getattr(fn, _ATTRIBUTE, None)
    return options if isinstance(options, ActivityOptions) else ActivityOptions()
