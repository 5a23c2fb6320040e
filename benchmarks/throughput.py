"""Throughput benchmarks: the API and the worker service against the raw SDK, at concurrency.

    uv run python -m benchmarks.throughput [--orders N] [--rounds R] [--quick] [--json PATH]

One dev server; every service a real process (see ``benchmarks.services``). Each scenario runs
its baseline and ours in the same round, one after the other (in turn first, see ``in_turn``),
for ``--rounds`` rounds, and the table shows the medians and their ratio next to the target
(see docs/benchmarks.md):

* API starts: ``POST /orders`` at ``--concurrency`` against the raw client's ``start_workflow``
  of the same workflow and input, from this process; and one at a time, for the p50 latency.
* The sync endpoint: ``POST /orders/sync`` against ``execute_workflow``, with the worker service.
* Worker drain: ``--orders`` queued orders drained by ``python -m worker_orders`` against a plain
  default ``temporalio`` ``Worker`` (``benchmarks.raw_order_worker``), rate counted from the
  spawn (start-up included) and from the first to the last completion (excluded); RSS idle
  and right after the drain.
* Tracing exported to a local OTLP receiver against tracing off, for API starts and the drain.
* Scale-out: the API with two uvicorn processes, and two worker processes on one queue.

Nothing asserts a speed; it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Generator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from contracts.orders import ORDER, OrderInput, OrderItem
from temporal_core.testing import start_dev_environment
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from benchmarks.http_load import ApiCaller, run_concurrently
from benchmarks.services import BenchStack, Service

QUEUE = "orders"
T = TypeVar("T")
API_NAMESPACE = "bench-api"
SYNC_NAMESPACE = "bench-sync"
STALL_SECONDS = 180.0
"""A drain that completes no order for this long has failed (see the worker's log).

Generous: a worker first runs the first workflow task of the whole backlog, so on a busy
machine the first order may complete only a minute or more after the spawn."""


async def in_turn(round_index: int, steps: dict[str, Callable[[], Awaitable[T]]]) -> dict[str, T]:
    """Run ``steps`` one after the other, in their order in even rounds and reversed in odd ones.

    Whatever drifts over a run (the dev server's history grows with every order, the machine
    warms up) then favours no scenario: each pair runs first as often as second.
    """
    names = list(steps) if round_index % 2 == 0 else list(reversed(steps))
    return {name: await steps[name]() for name in names}


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does."""

    orders: int
    concurrency: int
    rounds: int
    latency_samples: int
    sync_orders: int
    sync_concurrency: int = 10


@dataclass
class Row:
    """One line of the table: a figure for the baseline and for ours, over the rounds."""

    name: str
    unit: str
    baseline_label: str
    ours_label: str
    target: str = ""
    check: Callable[[float, float], bool] | None = None
    higher_is_better: bool = True
    baseline: list[float] = field(default_factory=list[float])
    ours: list[float] = field(default_factory=list[float])

    def figures(self) -> dict[str, Any]:
        """Medians, ratio, and whether the target holds."""
        base, mine = statistics.median(self.baseline), statistics.median(self.ours)
        met = None if self.check is None else self.check(base, mine)
        return {
            "scenario": self.name,
            "unit": self.unit,
            "baseline": self.baseline_label,
            "ours": self.ours_label,
            "baseline_median": base,
            "ours_median": mine,
            "ratio": mine / base if base else float("nan"),
            "target": self.target,
            "met": met,
            "baseline_runs": self.baseline,
            "ours_runs": self.ours,
        }


def at_least(ratio: float) -> Callable[[float, float], bool]:
    """Target: ours is at least ``ratio`` times the baseline."""
    return lambda base, mine: mine >= ratio * base


def at_most(ratio: float) -> Callable[[float, float], bool]:
    """Target: ours is at most ``ratio`` times the baseline."""
    return lambda base, mine: mine <= ratio * base


def rows() -> dict[str, Row]:
    """Every row of the table, in order."""
    table = [
        Row(
            "API start throughput",
            "starts/s",
            "raw client",
            "POST /orders",
            ">= 0.80x",
            at_least(0.8),
        ),
        Row(
            "API start latency p50",
            "ms",
            "raw start",
            "POST /orders",
            "<= raw + 3 ms",
            lambda base, mine: mine <= base + 3.0,
            higher_is_better=False,
        ),
        Row("sync endpoint throughput", "orders/s", "execute_workflow", "POST /orders/sync"),
        Row(
            "sync endpoint p50",
            "ms",
            "execute_workflow",
            "POST /orders/sync",
            higher_is_better=False,
        ),
        Row(
            "worker drain, with start-up",
            "orders/s",
            "raw Worker",
            "worker service",
            ">= 1.0x",
            at_least(1.0),
        ),
        Row(
            "worker drain, after start-up",
            "orders/s",
            "raw Worker",
            "worker service",
            ">= 1.0x",
            at_least(1.0),
        ),
        Row(
            "worker CPU per order",
            "ms",
            "raw Worker",
            "worker service",
            higher_is_better=False,
        ),
        Row(
            "worker RSS idle",
            "MiB",
            "raw Worker",
            "worker service",
            "<= 1.1x",
            at_most(1.1),
            higher_is_better=False,
        ),
        Row(
            "worker RSS after drain",
            "MiB",
            "raw Worker",
            "worker service",
            "<= 1.1x",
            at_most(1.1),
            higher_is_better=False,
        ),
        Row("tracing: API starts", "starts/s", "off", "exported", ">= 0.95x", at_least(0.95)),
        Row("tracing: worker drain", "orders/s", "off", "exported", ">= 0.95x", at_least(0.95)),
        Row("scale-out: API starts", "starts/s", "1 process", "2 processes"),
        Row("scale-out: worker drain", "orders/s", "1 process", "2 processes"),
    ]
    return {row.name: row for row in table}


def order(prefix: str) -> OrderInput:
    """A fresh order; its id keys one workflow."""
    return OrderInput(
        order_id=f"{prefix}-{uuid.uuid4().hex[:12]}",
        customer_email="bench@example.com",
        amount=10.0,
        items=[OrderItem(sku="widget", quantity=1)],
    )


def order_body(prefix: str) -> dict[str, Any]:
    """The JSON body of ``POST /orders`` for a fresh order."""
    return order(prefix).model_dump(mode="json")


async def connect(address: str, namespace: str) -> Client:
    """A raw client, as a user of the bare SDK makes one."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter
    )


class Bench:
    """The stack and its clients for one benchmark run."""

    def __init__(self, stack: BenchStack, sizes: Sizes, token: str | None) -> None:
        """Rows start empty; every scenario appends one figure per round."""
        self.stack = stack
        self.sizes = sizes
        self.token = token
        self.rows = rows()
        self._namespaces = 0

    def note(self, row: str, *, baseline: float | None = None, ours: float | None = None) -> None:
        """Record one round's figures."""
        if baseline is not None:
            self.rows[row].baseline.append(baseline)
        if ours is not None:
            self.rows[row].ours.append(ours)

    def fresh_namespace(self) -> str:
        """One of the namespaces registered at start-up, never used before in this run."""
        self._namespaces += 1
        return drain_namespace(self._namespaces)

    # API --------------------------------------------------------------------------------------
    async def api_starts(self) -> None:
        """Start throughput and latency: API processes against the raw client, per round."""
        address = self.stack.temporal_address
        raw = await connect(address, API_NAMESPACE)
        sizes = self.sizes
        async with AsyncExitStack() as stack:
            plain = await stack.enter_async_context(self.stack.api(namespace=API_NAMESPACE))
            traced = await stack.enter_async_context(
                self.stack.api(namespace=API_NAMESPACE, tracing=True)
            )
            two = await stack.enter_async_context(
                self.stack.api(namespace=API_NAMESPACE, workers=2)
            )

            async def raw_start(_: int) -> None:
                await raw.start_workflow(
                    ORDER.name, order("raw"), id=f"raw-{uuid.uuid4().hex}", task_queue=QUEUE
                )

            async def raw_rate() -> float:
                seconds, _ = await run_concurrently(
                    raw_start, total=sizes.orders, concurrency=sizes.concurrency
                )
                return sizes.orders / seconds

            await raw_rate()  # warm the raw client's connection like the APIs' first requests
            for service in (plain, traced, two):
                await self._post_rate(service, warm_up=True)
            for round_index in range(sizes.rounds):
                rate = await in_turn(
                    round_index,
                    {
                        "raw": raw_rate,
                        "plain": lambda: self._post_rate(plain),
                        "traced": lambda: self._post_rate(traced),
                        "two": lambda: self._post_rate(two),
                    },
                )
                ours = rate["plain"]
                self.note("API start throughput", baseline=rate["raw"], ours=ours)
                self.note("tracing: API starts", baseline=ours, ours=rate["traced"])
                self.note("scale-out: API starts", baseline=ours, ours=rate["two"])

            # One at a time, in chunks of ten taking turns to go first, so drift hits both alike;
            # a median per round like every other row, so one unlucky stretch cannot decide it.
            async with ApiCaller(plain.port or 0, token=self.token, connections=1) as api:

                async def post_one(_: int) -> None:
                    answer = await api.post("/orders", order_body("lat"))
                    assert answer.status == 202, answer.body

                async def chunk(call: Callable[[int], Awaitable[None]]) -> list[float]:
                    return (await run_concurrently(call, total=10, concurrency=1))[1]

                for _ in range(sizes.rounds):
                    raw_ms: list[float] = []
                    our_ms: list[float] = []
                    while len(raw_ms) < sizes.latency_samples:
                        chunks = await in_turn(
                            len(raw_ms) // 10,
                            {"raw": lambda: chunk(raw_start), "ours": lambda: chunk(post_one)},
                        )
                        raw_ms += chunks["raw"]
                        our_ms += chunks["ours"]
                    self.note(
                        "API start latency p50",
                        baseline=statistics.median(raw_ms),
                        ours=statistics.median(our_ms),
                    )

    async def _post_rate(self, api: Service, *, warm_up: bool = False) -> float:
        sizes = self.sizes
        total = sizes.concurrency if warm_up else sizes.orders
        async with ApiCaller(api.port or 0, token=self.token, connections=sizes.concurrency) as c:

            async def post(_: int) -> None:
                answer = await c.post("/orders", order_body("api"))
                assert answer.status == 202, answer.body

            seconds, _ = await run_concurrently(post, total=total, concurrency=sizes.concurrency)
        return total / seconds

    async def sync_endpoint(self) -> None:
        """``POST /orders/sync`` against ``execute_workflow``, one worker service answering both."""
        sizes = self.sizes
        raw = await connect(self.stack.temporal_address, SYNC_NAMESPACE)
        worker = self.stack.order_worker(namespace=SYNC_NAMESPACE, raw=False)
        try:
            await self.stack.wait_worker_ready(worker)
            async with (
                self.stack.api(namespace=SYNC_NAMESPACE) as api,
                ApiCaller(api.port or 0, token=self.token, connections=sizes.sync_concurrency) as c,
            ):

                async def raw_execute(_: int) -> None:
                    result = await raw.execute_workflow(
                        ORDER.name,
                        order("rawsync"),
                        id=f"raw-{uuid.uuid4().hex}",
                        task_queue=QUEUE,
                        result_type=ORDER.result_type,
                    )
                    assert result.status == "completed", result

                async def post_sync(_: int) -> None:
                    answer = await c.post("/orders/sync", order_body("sync"))
                    assert answer.status == 200, answer.body

                for call in (raw_execute, post_sync):  # warm both paths
                    await run_concurrently(call, total=sizes.sync_concurrency, concurrency=10)

                async def measure(
                    call: Callable[[int], Awaitable[None]],
                ) -> tuple[float, list[float]]:
                    return await run_concurrently(
                        call, total=sizes.sync_orders, concurrency=sizes.sync_concurrency
                    )

                for round_index in range(sizes.rounds):
                    runs = await in_turn(
                        round_index,
                        {"raw": lambda: measure(raw_execute), "ours": lambda: measure(post_sync)},
                    )
                    (raw_s, raw_ms), (our_s, our_ms) = runs["raw"], runs["ours"]
                    self.note(
                        "sync endpoint throughput",
                        baseline=sizes.sync_orders / raw_s,
                        ours=sizes.sync_orders / our_s,
                    )
                    self.note(
                        "sync endpoint p50",
                        baseline=statistics.median(raw_ms),
                        ours=statistics.median(our_ms),
                    )
        finally:
            worker.stop()

    # Workers ----------------------------------------------------------------------------------
    async def workers(self) -> None:
        """Idle RSS, then drains: raw, ours, ours traced, ours on two processes, per round."""
        for round_index in range(self.sizes.rounds):
            idle = await in_turn(
                round_index,
                {
                    "raw": lambda: self._idle_rss(raw=True),
                    "ours": lambda: self._idle_rss(raw=False),
                },
            )
            self.note("worker RSS idle", baseline=idle["raw"], ours=idle["ours"])

            drained = await in_turn(
                round_index,
                {
                    "raw": lambda: self._drain(raw=True),
                    "ours": lambda: self._drain(raw=False),
                    "traced": lambda: self._drain(raw=False, tracing=True),
                    "two": lambda: self._drain(raw=False, processes=2),
                },
            )
            raw, ours = drained["raw"], drained["ours"]
            self.note("worker drain, with start-up", baseline=raw.with_start_up)
            self.note("worker drain, after start-up", baseline=raw.after_start_up)
            self.note("worker RSS after drain", baseline=raw.rss_mib)
            self.note("worker CPU per order", baseline=raw.cpu_ms_per_order)
            self.note("worker drain, with start-up", ours=ours.with_start_up)
            self.note("worker drain, after start-up", ours=ours.after_start_up)
            self.note("worker RSS after drain", ours=ours.rss_mib)
            self.note("worker CPU per order", ours=ours.cpu_ms_per_order)
            traced, two = drained["traced"], drained["two"]
            self.note(
                "tracing: worker drain", baseline=ours.after_start_up, ours=traced.after_start_up
            )
            self.note(
                "scale-out: worker drain", baseline=ours.after_start_up, ours=two.after_start_up
            )

    async def _idle_rss(self, *, raw: bool) -> float:
        worker = self.stack.order_worker(namespace=self.fresh_namespace(), raw=raw)
        try:
            await self.stack.wait_worker_ready(worker)
            await asyncio.sleep(1.0)  # let the pollers and their buffers settle
            return worker.rss_mib()
        finally:
            worker.stop()

    async def _drain(self, *, raw: bool, tracing: bool = False, processes: int = 1) -> Drained:
        namespace = self.fresh_namespace()
        client = await connect(self.stack.temporal_address, namespace)
        total = self.sizes.orders

        async def enqueue(_: int) -> None:
            await client.start_workflow(
                ORDER.name, order("drain"), id=f"drain-{uuid.uuid4().hex}", task_queue=QUEUE
            )

        await run_concurrently(enqueue, total=total, concurrency=self.sizes.concurrency)
        workers = [
            self.stack.order_worker(namespace=namespace, raw=raw, tracing=tracing)
            for _ in range(processes)
        ]
        spawned_at = workers[0].spawned_at
        try:
            await wait_until_completed(client, total, workers)
            rss = workers[0].rss_mib()
            cpu = sum(worker.cpu_seconds() for worker in workers)
        finally:
            for worker in workers:
                worker.stop()
        closed = [
            execution.close_time.timestamp()
            async for execution in client.list_workflows("ExecutionStatus = 'Completed'")
            if execution.close_time is not None
        ]
        first, last = min(closed), max(closed)
        return Drained(
            with_start_up=total / (last - spawned_at),
            after_start_up=(total - 1) / (last - first) if last > first else float("nan"),
            rss_mib=rss,
            cpu_ms_per_order=cpu * 1000 / total,
        )


@dataclass(frozen=True)
class Drained:
    """One drain's figures."""

    with_start_up: float
    after_start_up: float
    rss_mib: float
    cpu_ms_per_order: float
    """The workers' CPU time from spawn to the drain's end (start-up included), per order."""


async def wait_until_completed(client: Client, total: int, workers: list[Service]) -> None:
    """Poll visibility until ``total`` orders completed; fail fast on a failure or a dead worker."""
    progress, progressed_at = -1, time.monotonic()
    while True:
        completed = (await client.count_workflows("ExecutionStatus = 'Completed'")).count
        if completed >= total:
            return
        if completed > progress:
            progress, progressed_at = completed, time.monotonic()
        failed = (
            await client.count_workflows(
                "ExecutionStatus != 'Running' AND ExecutionStatus != 'Completed'"
            )
        ).count
        if failed:
            raise RuntimeError(f"{failed} orders did not complete:\n{workers[0].log_text()}")
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"{worker.name} exited:\n{worker.log_text()}")
        if time.monotonic() - progressed_at > STALL_SECONDS:
            raise TimeoutError(
                f"{completed}/{total} orders, none for {STALL_SECONDS}s:\n{workers[0].log_text()}"
            )
        await asyncio.sleep(0.2)


def drain_namespace(index: int) -> str:
    """The name of the ``index``-th namespace of single-use drain namespaces."""
    return f"bench-drain-{index}"


def namespaces_needed(rounds: int) -> list[str]:
    """Every namespace the run uses, registered when the dev server starts."""
    per_round = 6  # two idle RSS spawns and four drains
    drains = [drain_namespace(index) for index in range(1, rounds * per_round + 1)]
    return [API_NAMESPACE, SYNC_NAMESPACE, *drains]


@contextmanager
def otlp_sink(stack: BenchStack) -> Generator[None]:
    """Run the OTLP receiver process and point ``stack.otlp_endpoint`` at it."""
    sink = stack.spawn("otlp-sink", ["-m", "benchmarks.otlp_sink"], stack.environment())
    try:
        deadline = time.monotonic() + 30
        while "endpoint=" not in sink.log_text():
            if sink.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the OTLP receiver did not start:\n{sink.log_text()}")
            time.sleep(0.05)
        stack.otlp_endpoint = sink.log_text().split("endpoint=", 1)[1].split()[0]
        yield
    finally:
        sink.stop()


def api_credentials() -> tuple[dict[str, Any], str]:
    """A fresh signing key set for the API and a token with every scope, signed with it."""
    from api.auth.dev_keys import mint_token, new_key_set
    from api.auth.scopes import ALL_SCOPES

    key_set = new_key_set()
    return key_set, mint_token(key_set, subject="benchmark", scopes=ALL_SCOPES)


async def run(sizes: Sizes, workdir: Path) -> list[dict[str, Any]]:
    """Start the dev server and run every scenario; the rows' figures."""
    extra_args: list[str] = []
    for namespace in namespaces_needed(sizes.rounds):
        extra_args += ["--namespace", namespace]
    env = await start_dev_environment(dev_server_extra_args=extra_args)
    key_set, token = api_credentials()
    stack = BenchStack(
        temporal_address=env.client.service_client.config.target_host,
        workdir=workdir,
        key_set=key_set,
    )
    bench = Bench(stack, sizes, token)
    try:
        with otlp_sink(stack):
            steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
                ("API starts", bench.api_starts),
                ("sync endpoint", bench.sync_endpoint),
                ("workers", bench.workers),
            ]
            for label, step in steps:
                began = time.monotonic()
                await step()
                print(f"  {label}: {time.monotonic() - began:.0f}s", file=sys.stderr, flush=True)
    finally:
        stack.stop_all()
        await env.shutdown()
    return [row.figures() for row in bench.rows.values()]


def render(figures: list[dict[str, Any]], sizes: Sizes) -> str:
    """The table: medians over the rounds, ratio ours/baseline, target and verdict."""
    header = (
        f"{'scenario':30} {'unit':9} {'baseline':>18} {'ours':>26} "
        f"{'ratio':>6}  {'target':14} result"
    )
    lines = [
        f"{sizes.orders} orders, concurrency {sizes.concurrency}, {sizes.rounds} round(s); "
        "medians over rounds",
        header,
    ]
    for row in figures:
        verdict = {None: "", True: "met", False: "MISSED"}[row["met"]]
        lines.append(
            f"{row['scenario']:30} {row['unit']:9} "
            f"{row['baseline']:>10} {row['baseline_median']:>7.1f} "
            f"{row['ours']:>18} {row['ours_median']:>7.1f} "
            f"{row['ratio']:>6.2f}  {row['target']:14} {verdict}"
        )
    return "\n".join(lines)


def main() -> None:
    """Parse options, run, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, help="orders per throughput run (default 400)")
    parser.add_argument("--concurrency", type=int, default=40, help="requests in flight (40)")
    parser.add_argument("--rounds", type=int, help="rounds of every scenario (default 4)")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 40 orders, one round, few samples"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    orders = args.orders or (40 if args.quick else 400)
    if orders < 2:
        parser.error("--orders must be at least 2")
    sizes = Sizes(
        orders=orders,
        concurrency=args.concurrency,
        rounds=args.rounds or (1 if args.quick else 4),
        latency_samples=10 if args.quick else 100,
        sync_orders=min(orders, 10 if args.quick else 50),
    )
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        figures = asyncio.run(run(sizes, Path(workdir)))
    print(render(figures, sizes))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    sys.stdout.flush()
    os._exit(0)  # skip finalization: the SDK's runtime threads can abort it (sdk-python #300)


if __name__ == "__main__":
    main()
