"""``VerifiedTokens``: tokens verified lately, so the same token's next request skips the check.

A client sends the same bearer token with every request until it expires, and checking its
signature and claims again each time was about 8% of the API's CPU under load. Only a token that
passed every check is kept, keyed by its whole text (signature included), so only the very same
token can hit. It is kept until it expires (with the verifier's leeway, as ``jwt.decode`` checks
it) and at most ``max_age_seconds``, so a key an identity provider withdraws stops being trusted
within that time, well inside the five minutes PyJWT caches a JWKS anyway. The oldest entry makes
room once ``max_entries`` tokens are kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from api.auth.principal import Principal

__all__ = ["VerifiedTokens"]


class VerifiedTokens:
    """A bounded memory of verified tokens and who they named."""

    def __init__(
        self,
        *,
        max_entries: int = 4096,
        max_age_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Keep up to ``max_entries`` tokens for at most ``max_age_seconds`` each."""
        self._max_entries = max_entries
        self._max_age = max_age_seconds
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Principal | None:
        """Who ``token`` named when it was verified, while it is still valid; else None."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, valid_until = entry
        if self._clock() >= valid_until:
            del self._entries[token]
            return None
        return principal

    def keep(self, token: str, principal: Principal, *, expires_at: float) -> None:
        """Remember a token that just passed verification and expires at ``expires_at``."""
        valid_until = min(expires_at, self._clock() + self._max_age)
        if len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (principal, valid_until)
