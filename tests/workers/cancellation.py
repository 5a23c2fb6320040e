"""What the cancellation tests read back from Temporal: history events and the close status."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle


async def wait_for_event(
    handle: WorkflowHandle[Any, Any], event_type: EventType.ValueType, *, timeout: float = 30
) -> None:
    """Wait until the workflow's history holds an event of ``event_type``.

    ``ACTIVITY_TASK_CANCEL_REQUESTED`` proves the workflow has received a cancellation through
    Temporal and asked its step in flight to stop, which a test must know before it lets that
    step finish.
    """
    async with asyncio.timeout(timeout):
        while True:
            history = await handle.fetch_history()
            if any(event.event_type == event_type for event in history.events):
                return
            await asyncio.sleep(0.05)


async def close_status(handle: WorkflowHandle[Any, Any]) -> WorkflowExecutionStatus | None:
    """How the run closed, as the Web UI shows it (COMPLETED, CANCELED, FAILED, ...)."""
    return (await handle.describe()).status


CANCEL_REQUESTED = EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED
"""The workflow asked its activity in flight to stop (it received Temporal's cancellation)."""
