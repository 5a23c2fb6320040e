"""A process that traces one failing workflow the way the services do, for test_telemetry.py.

``python -m tests.e2e.traced_probe <temporal address> <task queue> <workflow id>`` configures
telemetry from the ``OTEL_*`` environment with ``configure_telemetry``, connects through
``TemporalClientService`` (so the client carries ``temporal_plugins()``), runs a worker built
from that client and starts :class:`RefusingWorkflow` under a ``request`` span. The span
processor flushes at exit. A separate process because OpenTelemetry's global tracer provider
can be set only once per process, and the plugin reads the global one.
"""

from __future__ import annotations

import asyncio
import sys

from opentelemetry import trace
from temporal_core import TemporalSettings
from temporal_core.client.service import TemporalClientService
from temporal_core.observability.tracing import configure_telemetry
from temporalio.client import WorkflowFailureError
from temporalio.worker import Worker

from tests.e2e.traced_workflows import RefusingWorkflow, refuse


async def main(address: str, task_queue: str, workflow_id: str) -> None:
    """Run the failing workflow once under a ``request`` span; the failure is expected."""
    if not configure_telemetry("traced-probe"):
        raise SystemExit("set OTEL_EXPORTER_OTLP_ENDPOINT: this probe exists to export spans")
    service = TemporalClientService(TemporalSettings(url=address))
    client = await service.get_client()
    async with Worker(
        client, task_queue=task_queue, workflows=[RefusingWorkflow], activities=[refuse]
    ):
        with trace.get_tracer(__name__).start_as_current_span("request"):
            handle = await client.start_workflow(
                RefusingWorkflow.run, "pen", id=workflow_id, task_queue=task_queue
            )
        try:
            await handle.result()
        except WorkflowFailureError:
            return
    raise SystemExit("the workflow was expected to fail")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
