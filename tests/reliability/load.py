"""Bounded HTTP load and the checks every scenario makes on its answers and side effects."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from contracts.search_attributes import ORDER_ID
from stand_ins.side_effect_log import SideEffectLog
from temporalio.client import Client

T = TypeVar("T")

ACCEPTED = frozenset({200, 202})
"""A start was accepted: 202 started it, 200 found it already running."""


@dataclass(frozen=True)
class Answer:
    """One HTTP exchange; ``status`` 0 means no answer at all (connection refused, timeout)."""

    status: int
    seconds: float
    sent_at: float
    retry_after: str | None = None
    body: Any = None
    error: str | None = None
    """Why there was no answer (status 0)."""

    @property
    def server_error(self) -> bool:
        """A 5xx other than 503 (an outage may answer 503, never 500)."""
        return self.status >= 500 and self.status != 503


async def send(
    http: httpx.AsyncClient, method: str, url: str, *, json: Any = None, **params: Any
) -> Answer:
    """Send one request and keep what a check needs; transport errors become status 0."""
    sent_at = time.monotonic()
    try:
        try:
            response = await http.request(method, url, json=json, params=params or None)
        except (httpx.ReadError, httpx.RemoteProtocolError):
            # A pooled keep-alive connection the server had just closed: the request never got
            # an answer. Every request here is safe to repeat (starts are keyed by order id, as
            # the client retry contract in docs/api.md says), so send it once more, as an HTTP
            # client with a connection pool does.
            response = await http.request(method, url, json=json, params=params or None)
    except httpx.TransportError as error:
        failure = f"{type(error).__name__}: {error}"
        return Answer(status=0, seconds=time.monotonic() - sent_at, sent_at=sent_at, error=failure)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return Answer(
        status=response.status_code,
        seconds=time.monotonic() - sent_at,
        sent_at=sent_at,
        retry_after=response.headers.get("Retry-After"),
        body=body,
    )


async def bounded(jobs: Iterable[Callable[[], Awaitable[T]]], *, concurrency: int) -> list[T]:
    """Run the jobs, at most ``concurrency`` at a time, and return their results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


def order_body(order_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid order for the local stand-ins (they accept any positive amount)."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_email": "ops@example.com",
        "amount": 10.0,
        "items": [{"sku": "BOOK-1", "quantity": 1}],
    }
    body.update(overrides)
    return body


async def wait_until(
    check: Callable[[], Awaitable[bool]], *, timeout: float, interval: float = 0.25
) -> float | None:
    """Seconds until ``check()`` held, or None if it never did within ``timeout``."""
    started = time.monotonic()
    while True:
        if await check():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        await asyncio.sleep(interval)


async def count_workflows(client: Client, query: str) -> int:
    """How many workflows the server's visibility store lists for ``query``."""
    return (await client.count_workflows(query)).count


async def runs_per_order_id(client: Client) -> Counter[str]:
    """Every order run the server knows, counted by its ``OrderId`` search attribute.

    By order id, not workflow id: the workflow id holds the caller's owner tag as well.
    """
    runs: Counter[str] = Counter()
    async for execution in client.list_workflows('WorkflowType="OrderWorkflow"'):
        runs[str(execution.typed_search_attributes.get(ORDER_ID))] += 1
    return runs


def effect_counts(log: SideEffectLog) -> Counter[tuple[str, str]]:
    """How often each ``(kind, key)`` was recorded in the side-effect log."""
    return Counter((effect.kind, effect.key) for effect in log.entries())


def not_exactly_once(
    counts: Counter[tuple[str, str]], kind: str, keys: Iterable[str]
) -> dict[str, int]:
    """The keys whose ``kind`` effect was recorded other than exactly once, with the count."""
    return {key: counts[kind, key] for key in keys if counts[kind, key] != 1}
