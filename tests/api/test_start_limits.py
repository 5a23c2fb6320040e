"""The start rate limiter's arithmetic, on a clock the test moves (pure logic, no server)."""

from __future__ import annotations

import pytest
from api.errors.limits import TooManyStarts
from api.start_limits import StartRateLimiter

from tests.manual_clock import ManualClock


def test_a_burst_then_one_start_per_refill_interval() -> None:
    clock = ManualClock()
    limiter = StartRateLimiter(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        limiter.take("ada")
    with pytest.raises(TooManyStarts) as refused:
        limiter.take("ada")
    assert refused.value.headers["Retry-After"] == "1"

    clock.now += 1.0  # one start a second comes back
    limiter.take("ada")
    with pytest.raises(TooManyStarts):
        limiter.take("ada")
    # Other callers have buckets of their own.
    limiter.take("grace")


def test_retry_after_says_how_long_until_the_whole_cost_is_back() -> None:
    clock = ManualClock()
    limiter = StartRateLimiter(per_minute=6, burst=10, clock=clock)
    limiter.take("ada", 10)
    with pytest.raises(TooManyStarts) as refused:
        limiter.take("ada", 3)
    assert refused.value.headers["Retry-After"] == "30"  # 3 starts at one per 10 s


def test_a_batch_larger_than_the_burst_costs_a_full_bucket() -> None:
    clock = ManualClock()
    limiter = StartRateLimiter(per_minute=60, burst=5, clock=clock)
    limiter.take("ada", 50)
    with pytest.raises(TooManyStarts):
        limiter.take("ada")
    clock.now += 5.0
    limiter.take("ada", 50)


def test_a_rate_of_zero_turns_the_limit_off() -> None:
    limiter = StartRateLimiter(per_minute=0, burst=1)
    for _ in range(100):
        limiter.take("ada")
