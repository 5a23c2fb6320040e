"""``python -m benchmarks.raw_order_worker``: the baseline, a plain SDK ``Worker`` for orders.

What a user of the bare ``temporalio`` SDK would write for the same ``OrderWorkflow`` and the
same activities on the same stand-ins: ``Client.connect`` with the pydantic converter and a
``Worker`` with every option at the SDK's default (slots, pollers, cache, sandbox rules).

Two things this workflow needs to run at all are added, the least a bare-SDK user would have
to: the sandbox passes ``temporal_core`` through (re-imported inside the sandbox, the
workflow's base class would not recognise the activities' declared options, whose class is the
host's, and every order would fail for want of a timeout); and the runner leaves the workflow's
versioning behaviour out of completions (``UnversionedWorkflowRunner``: the server refuses a
behaviour from a worker without deployment options). Reads ``TEMPORAL_URL``,
``TEMPORAL_NAMESPACE`` and ``SIDE_EFFECTS_DB`` like the service does.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from typing import Any

from temporal_core.worker.versioning import UnversionedWorkflowRunner
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions
from worker_orders.activities import QUEUE
from worker_orders.wiring import build_activities
from worker_orders.workflows import OrderWorkflow

READY_LINE = "serving task queues"
"""Printed once polling, the same words the worker service logs, for the benchmark to wait on."""


def activity_methods(instance: object) -> list[Callable[..., Any]]:
    """Every ``@activity.defn`` method of ``instance``, bound."""
    return [
        getattr(instance, name)
        for name, member in vars(type(instance)).items()
        if hasattr(member, "__temporal_activity_definition")
    ]


async def serve() -> None:
    """Poll the orders queue until SIGTERM/SIGINT, then shut down."""
    client = await Client.connect(
        os.environ.get("TEMPORAL_URL", "localhost:7233"),
        namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
        data_converter=pydantic_data_converter,
    )
    worker = Worker(
        client,
        task_queue=QUEUE,
        workflows=[OrderWorkflow],
        activities=activity_methods(build_activities()),
        workflow_runner=UnversionedWorkflowRunner(
            SandboxedWorkflowRunner(
                restrictions=SandboxRestrictions.default.with_passthrough_modules("temporal_core")
            )
        ),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with worker:
        print(f"{READY_LINE} {QUEUE}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve())
