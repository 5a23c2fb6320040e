"""The worker's own gauges on the SDK runtime's Prometheus endpoint: in-flight and drain.

A real worker on the dev server, its client bound to a runtime that serves metrics, runs an order
whose reservation is held: the in-flight gauge of the queue reads 1 while it is held and 0 once
it is done, in the same scrape as the SDK's metrics.
"""

from __future__ import annotations

import asyncio
import re

import httpx
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import build_worker
from temporal_core.client.converter import pydantic_client
from temporal_core.testing.dev_server import free_port
from temporal_core.worker.activity_tracking import ActivityTracker
from temporal_core.worker.drain_metrics import DrainMetrics
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment
from worker_orders.activities import OrderActivities
from worker_orders.payments import LocalPaymentGateway
from worker_orders.workflows import OrderWorkflow

from tests.workers.held_step import HeldStep
from tests.workers.test_orders_workflow import an_order


async def _gauge(port: int, name: str, labels: str = "") -> float | None:
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    pattern = rf"^{name}\{{[^}}]*{re.escape(labels)}[^}}]*\}} (\S+)$"
    match = re.search(pattern, text, re.MULTILINE)
    return float(match.group(1)) if match else None


async def _until(port: int, name: str, labels: str, value: float) -> None:
    # Polled: the value changes inside the worker, and the endpoint is all a scraper sees.
    last = None
    for _ in range(150):
        last = await _gauge(port, name, labels)
        if last == value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name}{{{labels}}} stayed {last}, expected {value}")


async def test_in_flight_and_drain_gauges_are_served_with_the_sdk_metrics(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    port = free_port()
    runtime = Runtime(
        telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=f"127.0.0.1:{port}"))
    )
    target = temporal_env.client.service_client.config.target_host
    client = pydantic_client(await Client.connect(target, runtime=runtime))
    metrics = DrainMetrics(runtime.metric_meter, [task_queue])
    tracker = ActivityTracker(on_change=metrics.in_flight_changed)
    held = HeldStep("reserve_inventory", side_effects)
    activities = OrderActivities(
        payments=LocalPaymentGateway(side_effects),
        inventory=held,
        mail=held,
        confirmations=side_effects,
    )
    queue_label = f'task_queue="{task_queue}"'
    worker = build_worker(
        client, "orders", task_queue=task_queue, activities=[activities], interceptors=[tracker]
    )
    async with worker:
        await _until(port, "worker_in_flight_activities", queue_label, 0)
        await _until(port, "worker_draining", "", 0)
        order = an_order()
        handle = await OrderWorkflow.start_workflow(
            client, input=order, id=f"order-{order.order_id}", task_queue=task_queue
        )
        await held.wait_until_running()
        await _until(port, "worker_in_flight_activities", queue_label, 1)
        held.let_go()
        await handle.result()
        await _until(port, "worker_in_flight_activities", queue_label, 0)
        # The SDK's own metrics for the same queue come from the same endpoint.
        assert await _gauge(port, "temporal_num_pollers", queue_label) is not None

    metrics.drain_started()
    metrics.drain_finished(1.5)
    await _until(port, "worker_draining", "", 1)
    await _until(port, "worker_drain_seconds", "", 1.5)
