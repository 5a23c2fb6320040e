"""The Temporal server SIGKILLed mid-load and restarted on its persisted database.

Proves: during the outage the API answers 503 with ``Retry-After`` promptly (never 500 and never
a hung request), the API and the workers reconnect by themselves, and every order the API
accepted (202/200) before, during or after the outage completes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from contracts.search_attributes import ORDER_ID
from temporalio.client import Client

from tests.reliability.figures import Figures
from tests.reliability.load import ACCEPTED, Answer, order_body, send, wait_until
from tests.reliability.system import api_client, running_system

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(240)]

CLIENTS = 8
"""Concurrent clients, each POSTing orders one after another for the whole run."""
BEFORE_SECONDS = 4.0
OUTAGE_SECONDS = 4.0
AFTER_SECONDS = 4.0
PROMPT_503_SECONDS = 2.0
"""Longest a 503 may take: a client must learn of the outage at once, not after a timeout."""
COMPLETION_SECONDS = 60.0


async def test_a_crashed_server_gives_503s_then_every_accepted_order_completes(
    tmp_path: Path, figures: Figures
) -> None:
    prefix = f"out-{uuid.uuid4().hex[:6]}"
    async with running_system(tmp_path, persisted=True) as system:
        await system.start_api()
        await system.start_worker("orders")
        stop_at = time.monotonic() + BEFORE_SECONDS + OUTAGE_SECONDS + AFTER_SECONDS + 60
        restarted_at: list[float] = []
        answers: list[tuple[str, Answer]] = []

        async with api_client(system) as http:

            async def client_loop(number: int) -> None:
                sequence = 0
                # Bounded in time, and by the restart: it stops AFTER_SECONDS after it.
                while time.monotonic() < stop_at and not (
                    restarted_at and time.monotonic() > restarted_at[0] + AFTER_SECONDS
                ):
                    order_id = f"{prefix}-{number}-{sequence}"
                    sequence += 1
                    answer = await send(http, "POST", "/orders", json=order_body(order_id))
                    answers.append((order_id, answer))
                    if answer.status == 503:
                        # What a well-behaved client does, shortened: wait, then a new order.
                        await asyncio.sleep(0.2)

            async def outage() -> None:
                await asyncio.sleep(BEFORE_SECONDS)
                await system.server.kill()
                killed_at = time.monotonic()
                await asyncio.sleep(OUTAGE_SECONDS)
                await system.server.start()
                restarted_at.append(time.monotonic())
                figures.extra["outage_seconds"] = restarted_at[0] - killed_at

            await asyncio.wait_for(
                asyncio.gather(outage(), *(client_loop(n) for n in range(CLIENTS))),
                timeout=BEFORE_SECONDS + OUTAGE_SECONDS + AFTER_SECONDS + 90,
            )
            api_health = await send(http, "GET", "/health")

        client = await system.client()
        accepted = [order_id for order_id, answer in answers if answer.status in ACCEPTED]
        completed_ids: set[str] = set()

        async def all_accepted_completed() -> bool:
            completed_ids.update(await _completed_order_ids(client))
            return set(accepted) <= completed_ids

        done = await wait_until(all_accepted_completed, timeout=COMPLETION_SECONDS, interval=1)
        unavailable = [answer for _, answer in answers if answer.status == 503]
        first_accepted_after = min(
            (a.sent_at for _, a in answers if a.status in ACCEPTED and a.sent_at > restarted_at[0]),
            default=None,
        )
        figures.requests = len(answers)
        figures.accepted = len(accepted)
        figures.completed = len(set(accepted) & completed_ids)
        figures.lost = figures.accepted - figures.completed
        figures.server_errors = sum(answer.server_error for _, answer in answers)
        if first_accepted_after is not None:
            figures.recovery_seconds = first_accepted_after - restarted_at[0]
        figures.extra.update(
            answered_503=len(unavailable),
            slowest_503_seconds=max((a.seconds for a in unavailable), default=0.0),
            without_retry_after=sum(a.retry_after is None for a in unavailable),
            no_answer=sum(answer.status == 0 for _, answer in answers),
            statuses=dict(Counter(answer.status for _, answer in answers)),
            all_completed_after_seconds=done,
        )

    statuses = figures.extra["statuses"]
    assert unavailable, f"the outage was never seen: {statuses}"
    assert set(statuses) <= {*ACCEPTED, 503}, statuses
    assert figures.extra["without_retry_after"] == 0
    assert figures.extra["slowest_503_seconds"] < PROMPT_503_SECONDS
    assert first_accepted_after is not None, "the API never accepted an order after the restart"
    assert api_health.status == 200, api_health
    assert done is not None, f"{figures.lost} accepted orders never completed"
    assert figures.lost == 0


async def _completed_order_ids(client: Client) -> set[str]:
    # By OrderId: the workflow id holds the caller's owner tag as well.
    query = 'WorkflowType="OrderWorkflow" AND ExecutionStatus="Completed"'
    return {
        str(execution.typed_search_attributes.get(ORDER_ID))
        async for execution in client.list_workflows(query)
    }
