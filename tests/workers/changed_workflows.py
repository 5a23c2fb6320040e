"""Two changed versions of ``OrderWorkflow`` for the determinism gate's own tests.

Both send a receipt before the order's steps. ``UnsafelyChangedOrderWorkflow`` just does it,
which histories of orders already running cannot follow; ``PatchedOrderWorkflow`` does it behind
``workflow.patched``, the safe way documented in docs/workers.md.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.orders import OrderInput, OrderOutput
    from worker_orders.workflows import OrderWorkflow

_RECEIPT = timedelta(seconds=10)


@workflow.defn(name="OrderWorkflow")
class UnsafelyChangedOrderWorkflow(OrderWorkflow):
    """Sends a receipt first, unconditionally: a new command where old histories have none."""

    @workflow.run
    async def run(self, input: OrderInput) -> OrderOutput:
        await workflow.execute_activity(
            "send_receipt", input.order_id, start_to_close_timeout=_RECEIPT
        )
        return await super().run(input)


@workflow.defn(name="OrderWorkflow")
class PatchedOrderWorkflow(OrderWorkflow):
    """Sends a receipt first only in runs that start after the change."""

    @workflow.run
    async def run(self, input: OrderInput) -> OrderOutput:
        if workflow.patched("send-receipt-first"):
            await workflow.execute_activity(
                "send_receipt", input.order_id, start_to_close_timeout=_RECEIPT
            )
        return await super().run(input)
