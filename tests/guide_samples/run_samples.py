"""Run the guide samples against a real dev server; prints one JSON line with what happened."""

import asyncio
import json
import os
import sys

from temporal_core import build_worker
from temporal_core.testing import start_dev_environment

from guide_samples.order_workflow import OrderOutput
from guide_samples.testing_samples import test_order_workflow, test_order_workflow_integration
from guide_samples.type_safety import type_safety_sample


async def main() -> None:
    env = await start_dev_environment()
    try:
        async with build_worker(env.client, "orders"):
            result = await type_safety_sample(env.client)
            # The integration-test sample connects a bare client of its own.
            await test_order_workflow_integration(env.client.service_client.config.target_host)
    finally:
        await env.shutdown()
    await test_order_workflow()
    print(
        json.dumps(
            {
                "type_safety_result_type": type(result).__name__,
                "is_order_output": isinstance(result, OrderOutput),
                "result": result.model_dump(),
                "testing_samples": "passed",
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # Skip interpreter finalization: the SDK's runtime threads can abort it (sdk-python #300).
    os._exit(0)
