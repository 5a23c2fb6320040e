"""Cancellation helpers for workflows that undo their work when they are cancelled.

A workflow can be asked to stop two ways: the ``cancel`` signal every ``BaseWorkflow`` has (the
workflow stops at its next safe point and completes with a "cancelled" result), or a
cancellation through Temporal itself (the Web UI, ``temporal workflow cancel``,
``handle.cancel()``), which interrupts what the workflow is awaiting and should end the run
Temporal-CANCELED. Either way the workflow undoes what it did first, and that undo must not be
interrupted by the very cancellation that caused it. See docs/cancellation.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from temporalio import workflow

__all__ = ["cancelled_through_temporal", "despite_cancellation"]

T = TypeVar("T")


def cancelled_through_temporal() -> bool:
    """Whether Temporal was asked to cancel this run (not the ``cancel`` signal).

    The SDK records a CANCELED close only in this case, so a workflow that wants to end CANCELED
    re-raises ``asyncio.CancelledError`` after undoing its work when this is true.
    """
    return workflow.cancellation_reason() is not None


async def despite_cancellation(work: Awaitable[T]) -> T:
    """Await ``work`` to its end even if the workflow is cancelled through Temporal meanwhile.

    A Temporal cancellation is delivered once, as ``asyncio.CancelledError`` at whatever the
    workflow awaits; an undo step awaited plainly would be cut short by it and the run would
    close with the undo half done. ``work`` runs in its own task behind a shield, and this waits
    for that task however often the caller is interrupted. The caller decides afterwards, with
    ``cancelled_through_temporal()``, whether the run ends CANCELED.
    """
    task = asyncio.ensure_future(work)
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # Interrupted from outside; the shielded task carries on and is awaited again. A
            # cancellation from inside the task itself leaves it done and is raised below.
            continue
    return task.result()
