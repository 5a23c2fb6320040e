"""At-most-once starts under concurrent retries, counted on the Temporal server itself."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.support import ApiStack, api_stack, eventually, order, order_id_for
from tests.auth_tokens import bearer

ORDERS = 100


async def test_200_concurrent_posts_for_100_orders_start_exactly_100_workflows(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # Its own task queue, so the server-side count sees only this test's workflows.
    async with api_stack(temporal_env.client, tmp_path, queues=("orders",)) as stack:
        bodies = [order() for _ in range(ORDERS)]
        requests = [*bodies, *bodies]
        random.shuffle(requests)
        limits = httpx.Limits(max_connections=len(requests))
        async with httpx.AsyncClient(
            base_url=stack.base_url, timeout=60, limits=limits, headers=bearer()
        ) as http:
            responses = await asyncio.gather(*(http.post("/orders", json=b) for b in requests))

        codes = Counter(response.status_code for response in responses)
        assert codes[202] == ORDERS, codes
        # The duplicate of each order found it, running or already finished: 200, never a 409.
        assert codes[200] == ORDERS, codes
        started = [r.json()["workflow_id"] for r in responses if r.status_code == 202]
        assert sorted(started) == sorted(order_id_for(b["order_id"]) for b in bodies)

        queue = stack.task_queues["orders"]

        async def all_completed() -> bool:
            total = await stack.temporal.count_workflows(f"TaskQueue = '{queue}'")
            done = await stack.temporal.count_workflows(
                f"TaskQueue = '{queue}' AND ExecutionStatus = 'Completed'"
            )
            assert total.count <= ORDERS, f"{total.count} workflows started for {ORDERS} orders"
            return total.count == ORDERS and done.count == ORDERS

        await eventually(all_completed, timeout=120)

        for body in bodies[:5]:
            result = await stack.http.get(f"/orders/{order_id_for(body['order_id'])}/result")
            assert result.status_code == 200
            assert result.json()["status"] == "completed"


async def test_idempotency_key_on_orders_is_recorded_in_the_memo(stack: ApiStack) -> None:
    # The order id already makes order starts idempotent; the key is kept to trace retries.
    body = order()
    first = await stack.http.post(
        "/orders/scheduled",
        json=body,
        params={"delay_seconds": 600},
        headers={"Idempotency-Key": "client-retry-1"},
    )
    assert first.status_code == 202
    retry = await stack.http.post(
        "/orders", json=body, headers={"Idempotency-Key": "client-retry-1"}
    )
    assert (retry.status_code, retry.json()["started"]) == (200, False)
    handle = stack.temporal.get_workflow_handle(first.json()["workflow_id"])
    assert (await (await handle.describe()).memo())["idempotency_key"] == "client-retry-1"
    await handle.terminate("test over")
