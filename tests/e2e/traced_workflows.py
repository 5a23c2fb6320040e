"""A workflow that fails because its only activity refuses for good (for ``traced_probe``)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.exceptions import ApplicationError


@activity.defn
async def refuse(item: str) -> str:
    """Refuse ``item`` with a non-retryable error, so the workflow fails at once."""
    raise ApplicationError(f"{item} is out of stock", type="OutOfStock", non_retryable=True)


@workflow.defn
class RefusingWorkflow:
    """Runs :func:`refuse` and so fails with its ``ActivityError``."""

    @workflow.run
    async def run(self, item: str) -> str:
        """Return what the activity returns (it never does)."""
        return await workflow.execute_activity(
            refuse, item, start_to_close_timeout=timedelta(seconds=10)
        )
