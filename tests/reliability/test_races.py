"""Races a client can start: cancel against completion, and one batch sent twice at once.

Proves: the answer of ``POST /orders/{id}/cancellation`` (the ``request_cancellation`` update) is
the truth about how the order ends (200 means it ends cancelled with its charge refunded, 409
means it completes and nothing is refunded), and a batch sent twice starts each order exactly
once, with the two answers adding up. (``POST /orders/{id}/cancel`` is the guide's plain signal:
its 202 only says the signal was recorded, so it cannot promise an outcome; see docs/api.md.)
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from worker_orders.payments import CHARGE_KIND, REFUND_KIND

from tests.reliability.figures import Figures
from tests.reliability.load import (
    Answer,
    bounded,
    effect_counts,
    not_exactly_once,
    order_body,
    runs_per_order_id,
    send,
)
from tests.reliability.system import api_client, running_system

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(180)]

RACES = 60
BATCH = 100
"""The API's default largest batch (API_MAX_BATCH_SIZE)."""


async def test_a_cancel_racing_completion_is_answered_truthfully(
    tmp_path: Path, figures: Figures
) -> None:
    prefix = f"race-{uuid.uuid4().hex[:6]}"
    async with running_system(tmp_path) as system:
        await system.start_api()
        await system.start_worker("orders")
        async with api_client(system) as http:
            # How long an order takes here and now, so the cancels land before, during and
            # after its last step (spread over three times that: the races run 8 at a time).
            durations = [await _order_duration(http, f"{prefix}-probe-{n}") for n in range(3)]
            typical = statistics.median(durations)

            async def race(number: int) -> tuple[str, Answer, Answer]:
                workflow_id = f"order-{prefix}-{number}"
                started = await send(http, "POST", "/orders", json=order_body(f"{prefix}-{number}"))
                assert started.status == 202, started
                await asyncio.sleep(typical * 3 * number / RACES)
                cancel = await send(
                    http, "POST", f"/orders/{workflow_id}/cancellation", json={"reason": "race"}
                )
                result = await send(http, "GET", f"/orders/{workflow_id}/result", wait=30)
                return workflow_id, cancel, result

            outcomes = await bounded([lambda n=n: race(n) for n in range(RACES)], concurrency=8)
        counts = effect_counts(system.side_effects)

    untruthful: list[tuple[str, int, Any]] = []
    for workflow_id, cancel, result in outcomes:
        order_id = workflow_id.removeprefix("order-")
        ended = result.body.get("status") if isinstance(result.body, dict) else None
        charged = counts[CHARGE_KIND, order_id] == 1
        refunded = counts[REFUND_KIND, order_id] == 1
        truthful = (cancel.status == 200 and ended == "cancelled" and refunded == charged) or (
            cancel.status == 409 and ended == "completed" and charged and not refunded
        )
        if not truthful:
            untruthful.append((workflow_id, cancel.status, result.body))
    answers = [answer for _, cancel, result in outcomes for answer in (cancel, result)]
    cancel_statuses = Counter(cancel.status for _, cancel, _ in outcomes)
    figures.requests = RACES
    figures.accepted = cancel_statuses[200]
    figures.completed = sum(result.status == 200 for _, _, result in outcomes)
    figures.duplicates = sum(
        counts[kind, workflow_id.removeprefix("order-")] > 1
        for workflow_id, _, _ in outcomes
        for kind in (CHARGE_KIND, REFUND_KIND)
    )
    figures.lost = RACES - figures.completed
    figures.server_errors = sum(answer.status >= 500 for answer in answers)
    figures.extra.update(
        cancel_answers=dict(cancel_statuses),
        typical_order_seconds=typical,
        untruthful=len(untruthful),
    )

    assert figures.server_errors == 0
    assert untruthful == [], untruthful[:5]
    # Both outcomes happened, so the race was really run.
    assert cancel_statuses[200] > 0
    assert cancel_statuses[409] > 0


async def test_the_same_batch_sent_twice_at_once_starts_each_order_once(
    tmp_path: Path, figures: Figures
) -> None:
    order_ids = [f"batch-{uuid.uuid4().hex[:6]}-{n}" for n in range(BATCH)]
    batch = [order_body(order_id) for order_id in order_ids]
    async with running_system(tmp_path) as system:
        await system.start_api()
        await system.start_worker("orders")
        client = await system.client()
        async with api_client(system) as http:
            first, second = await asyncio.gather(
                send(http, "POST", "/orders/batch", json=batch),
                send(http, "POST", "/orders/batch", json=batch),
            )
            results = await bounded(
                [
                    lambda o=o: send(http, "GET", f"/orders/order-{o}/result", wait=30)
                    for o in order_ids
                ],
                concurrency=16,
            )
        runs = await runs_per_order_id(client)
        counts = effect_counts(system.side_effects)

    assert first.status in {202, 207}, first
    assert second.status in {202, 207}, second
    outcomes: dict[str, list[str]] = {order_id: [] for order_id in order_ids}
    for answer in (first, second):
        assert answer.body["total"] == BATCH
        for item in answer.body["items"]:
            outcomes[item["order_id"]].append(item["outcome"])
    started_twice = [o for o, seen in outcomes.items() if seen.count("started") != 1]
    figures.requests = 2 * BATCH
    figures.accepted = first.body["started"] + second.body["started"]
    figures.completed = sum(r.status == 200 and r.body["status"] == "completed" for r in results)
    figures.duplicates = len(started_twice) + sum(n - 1 for n in runs.values())
    figures.lost = BATCH - figures.completed
    figures.server_errors = sum(a.status >= 500 for a in (first, second, *results))
    figures.extra.update(
        batch_answers=[first.status, second.status],
        outcomes=dict(Counter(o for seen in outcomes.values() for o in seen)),
    )

    assert started_twice == [], {o: outcomes[o] for o in started_twice[:5]}
    assert figures.accepted == BATCH
    # The request that did not start an order found it running (or, if it was that quick,
    # already finished): never a second start.
    assert all(
        sorted(seen) in (["already_running", "started"], ["already_exists", "started"])
        for seen in outcomes.values()
    ), outcomes
    for answer in (first, second):
        body = answer.body
        assert body["started"] + body["already_running"] + body["already_exists"] == BATCH
        assert (answer.status == 207) == (body["already_exists"] > 0)
    assert sorted(runs) == sorted(order_ids)
    assert set(runs.values()) == {1}
    assert not_exactly_once(counts, CHARGE_KIND, order_ids) == {}
    assert figures.completed == BATCH


async def _order_duration(http: httpx.AsyncClient, order_id: str) -> float:
    started = time.monotonic()
    answer = await send(http, "POST", "/orders/sync", json=order_body(order_id), wait=30)
    assert answer.status == 200, answer
    return time.monotonic() - started
