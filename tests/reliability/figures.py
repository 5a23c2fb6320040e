"""One line of figures per reliability test, kept for the terminal summary and the JUnit report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figures:
    """What a fault scenario measured; every test fills the fields that apply to it.

    ``duplicates`` counts anything done twice that must happen once (a second workflow, a
    second charge, a row written twice); ``lost`` counts accepted work that never finished;
    ``server_errors`` counts 5xx answers other than the 503 an outage is allowed to give.
    """

    scenario: str
    requests: int = 0
    accepted: int = 0
    completed: int = 0
    duplicates: int = 0
    lost: int = 0
    server_errors: int = 0
    recovery_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict[str, Any])

    def line(self) -> str:
        """``scenario: requests=.. accepted=.. ...`` on one line, extras last."""
        recovery = "n/a" if self.recovery_seconds is None else f"{self.recovery_seconds:.2f}s"
        parts = [
            f"requests={self.requests}",
            f"accepted={self.accepted}",
            f"completed={self.completed}",
            f"duplicates={self.duplicates}",
            f"lost={self.lost}",
            f"5xx={self.server_errors}",
            f"recovery={recovery}",
        ]
        parts += [f"{name}={_format(value)}" for name, value in self.extra.items()]
        return f"{self.scenario}: " + " ".join(parts)


def _format(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
