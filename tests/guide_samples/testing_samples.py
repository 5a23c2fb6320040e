# Guide, "Testing Workflows". Import paths changed; two more changes, both needed by the guide's
# own samples: the time-skipping server comes from temporal_core.testing (the SDK's
# start_time_skipping() would download one), and a worker serves "orders" (the guide's unit test
# starts none, so its execute_workflow would wait forever). The integration sample takes the
# server's address instead of a hard-coded localhost:7233.
import uuid

import pytest
from temporal_core import build_worker
from temporal_core.testing import start_time_skipping_environment

from guide_samples.order_workflow import OrderInput, OrderWorkflow


@pytest.mark.asyncio
async def test_order_workflow():
    async with await start_time_skipping_environment() as env:
        async with build_worker(env.client, "orders"):
            # Execute workflow in test environment
            result = await env.client.execute_workflow(
                OrderWorkflow.run,
                OrderInput(
                    order_id="TEST-123",
                    customer_email="test@example.com",
                    amount=99.99,
                    items=[]
                ),
                id="test-workflow",
                task_queue="orders"
            )

        assert result.status == "completed"
        assert result.order_id == "TEST-123"


@pytest.mark.asyncio
async def test_order_workflow_integration(address: str = "localhost:7233"):
    from temporalio.client import Client

    # Connect to real Temporal server
    client = await Client.connect(address)

    # Execute workflow
    result = await OrderWorkflow.execute_workflow(
        client,
        input=OrderInput(
            order_id="INT-TEST-123",
            customer_email="test@example.com",
            amount=99.99,
            items=[]
        ),
        id=f"test-{uuid.uuid4()}"
    )

    assert result.status == "completed"
