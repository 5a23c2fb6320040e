"""Benchmarks: our wrapper and API against the raw temporalio SDK, on one real dev server.

    uv run python -m benchmarks.run [--rounds N] [--json PATH]

Each scenario runs the baseline and ours interleaved (so drift hits both alike) and reports
medians, p90 and the ratio ours/baseline. The last scenario puts the whole API in the path: an
HTTP ``POST /orders`` through uvicorn, validation, idempotent start and JSON answer, against the
raw client starting the same workflow. Nothing here asserts a speed; it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from temporal_core import TemporalClientService, TemporalSettings, build_worker
from temporal_core.testing import start_dev_environment
from temporal_core.testing.dev_server import free_port
from temporal_core.worker.build import sandboxed_runner
from temporalio.client import Client
from temporalio.worker import Worker

from benchmarks.bench_workflows import (
    QUEUE,
    EchoInput,
    EchoOutput,
    EchoWorkflow,
    RawEchoWorkflow,
    echo,
)

Timed = Callable[[], Awaitable[Any]]


async def measure(fn: Timed, rounds: int) -> list[float]:
    samples: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[int(len(ordered) * 0.9) - 1],
        "n": len(ordered),
    }


async def compare(name: str, baseline: Timed, ours: Timed, rounds: int) -> dict[str, Any]:
    # Warm both paths, then interleave in chunks so neither gets a quieter machine.
    await baseline()
    await ours()
    base_samples: list[float] = []
    our_samples: list[float] = []
    chunk = max(1, rounds // 10)
    while len(base_samples) < rounds:
        base_samples += await measure(baseline, chunk)
        our_samples += await measure(ours, chunk)
    base, mine = summary(base_samples), summary(our_samples)
    return {
        "scenario": name,
        "baseline": base,
        "ours": mine,
        "ratio_median": mine["median_ms"] / base["median_ms"],
    }


async def run(rounds: int) -> list[dict[str, Any]]:
    env = await start_dev_environment()
    try:
        address = env.client.service_client.config.target_host
        service = TemporalClientService(TemporalSettings(url=address))
        ours_client = await service.get_client()
        raw_client = await Client.connect(address, data_converter=env.client.data_converter)
        raw_queue = f"{QUEUE}-raw"
        raw_worker = Worker(
            raw_client,
            task_queue=raw_queue,
            workflows=[RawEchoWorkflow],
            activities=[echo],
            workflow_runner=sandboxed_runner(),
        )
        async with raw_worker, build_worker(ours_client, QUEUE):
            payload = EchoInput(text="x" * 64)

            async def raw_start() -> None:
                await raw_client.start_workflow(
                    RawEchoWorkflow.run, payload, id=f"raw-{uuid.uuid4()}", task_queue=raw_queue
                )

            async def our_start() -> None:
                await EchoWorkflow.start_workflow(
                    ours_client, input=payload, id=f"our-{uuid.uuid4()}"
                )

            async def raw_execute() -> None:
                result = await raw_client.execute_workflow(
                    RawEchoWorkflow.run, payload, id=f"raw-{uuid.uuid4()}", task_queue=raw_queue
                )
                assert isinstance(result, EchoOutput)

            async def our_execute() -> None:
                result = await EchoWorkflow.execute_workflow(
                    ours_client, input=payload, id=f"our-{uuid.uuid4()}"
                )
                assert isinstance(result, EchoOutput)

            async def raw_health() -> None:
                await raw_client.service_client.check_health()

            async def our_health() -> None:
                assert await service.health_check()

            results = [
                await compare("start_workflow", raw_start, our_start, rounds),
                await compare(
                    "execute_workflow (1 activity)", raw_execute, our_execute, rounds // 2
                ),
                await compare("health_check", raw_health, our_health, rounds),
                await compare_http_start(raw_client, address, rounds),
            ]
    finally:
        await env.shutdown()
    return results


async def compare_http_start(raw_client: Client, address: str, rounds: int) -> dict[str, Any]:
    """POST /orders through the real app under uvicorn vs the raw client's start_workflow."""
    from api.auth.dev_keys import mint_token, new_key_set
    from api.main import create_app
    from api.settings import ApiSettings
    from contracts.orders import OrderInput
    from worker_orders.workflows import OrderWorkflow

    port = free_port()
    # Authentication on, as deployed: verifying the caller's token is part of what is measured.
    keys = new_key_set("bench")
    settings = ApiSettings(auth_keys=SecretStr(json.dumps(keys)))
    headers = {
        "Authorization": f"Bearer {mint_token(keys, subject='bench', scopes=['orders:write'])}"
    }
    app = create_app(settings, temporal_settings=TemporalSettings(url=address))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            raise RuntimeError("uvicorn exited before it started")
        await asyncio.sleep(0.02)

    def new_order() -> OrderInput:
        return OrderInput(
            order_id=uuid.uuid4().hex[:12], customer_email="bench@example.com", amount=10.0
        )

    # Nothing polls these queues: a start is all that is measured, and the runs just wait.
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:

            async def raw_start() -> None:
                order = new_order()
                await raw_client.start_workflow(
                    OrderWorkflow.workflow_name(),
                    order,
                    id=f"raw-order-{order.order_id}",
                    task_queue="bench-unpolled",
                )

            async def http_start() -> None:
                response = await http.post("/orders", json=new_order().model_dump(mode="json"))
                assert response.status_code == 202, response.text

            return await compare("POST /orders (HTTP) vs raw start", raw_start, http_start, rounds)
    finally:
        server.should_exit = True
        await serving


def render(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'scenario':32} {'raw median':>11} {'ours median':>12} "
        f"{'raw p90':>9} {'ours p90':>9} {'ratio':>6}",
    ]
    for row in results:
        base, mine = row["baseline"], row["ours"]
        lines.append(
            f"{row['scenario']:32} {base['median_ms']:>9.2f}ms {mine['median_ms']:>10.2f}ms "
            f"{base['p90_ms']:>7.2f}ms {mine['p90_ms']:>7.2f}ms {row['ratio_median']:>6.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--rounds", type=int, default=200, help="samples per scenario (default 200)"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.rounds < 10:
        parser.error("--rounds must be at least 10")
    results = asyncio.run(run(args.rounds))
    print(render(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)
    sys.stdout.flush()
    os._exit(0)  # skip finalization: the SDK's runtime threads can abort it (sdk-python #300)


if __name__ == "__main__":
    main()
