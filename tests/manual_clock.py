"""``ManualClock``: seconds that move only when a test says so, for code that takes a clock."""

from __future__ import annotations


class ManualClock:
    """A callable clock reading ``now``; tests advance it by assigning or adding to ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
