"""``StartRateLimiter``: how many workflows one caller may start, per API process.

A token bucket per subject: ``API_START_BURST`` starts at once, refilled at
``API_START_RATE_PER_MINUTE``. Each API process keeps its own buckets (nothing is shared between
replicas or uvicorn workers), so the limit a caller meets is the setting times the processes its
requests spread over; it stops one caller from flooding Temporal through one process, not a
distributed attack (put a gateway in front for that).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from api.errors.limits import TooManyStarts

__all__ = ["StartRateLimiter"]

# Buckets of callers that have been idle long enough to be full again carry no information;
# they are dropped once this many callers are tracked, so memory stays bounded.
_PRUNE_ABOVE = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class StartRateLimiter:
    """Token buckets keyed by caller subject; ``take`` raises 429 when a bucket is empty."""

    def __init__(
        self,
        *,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``per_minute`` 0 turns the limit off."""
        self._rate = per_minute / 60.0
        self._capacity = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, subject: str, count: int = 1) -> None:
        """Spend ``count`` starts of ``subject``'s allowance, or raise ``TooManyStarts``.

        A count above the burst (a batch larger than the bucket) costs the whole bucket, so it
        can succeed once the bucket is full rather than never.
        """
        if self._rate <= 0:
            return
        now = self._clock()
        cost = min(float(count), self._capacity)
        bucket = self._buckets.get(subject)
        if bucket is None:
            self._prune(now)
            bucket = self._buckets[subject] = _Bucket(self._capacity, now)
        bucket.tokens = min(self._capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return
        wait = math.ceil((cost - bucket.tokens) / self._rate)
        raise TooManyStarts(
            f"too many workflow starts from this caller: at most {self._rate * 60:g} a minute "
            f"(bursts of {self._capacity:g}); retry after {wait} s",
            headers={"Retry-After": str(wait)},
        )

    def _prune(self, now: float) -> None:
        if len(self._buckets) < _PRUNE_ABOVE:
            return
        full_after = self._capacity / self._rate
        for subject, bucket in list(self._buckets.items()):
            if now - bucket.updated >= full_after:
                del self._buckets[subject]
