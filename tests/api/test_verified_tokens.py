"""A verified token is remembered until it expires, and never longer than the cache allows.

Pure logic, on a clock the test moves (``VerifiedTokens``), and the verifier end to end on real
tokens: a remembered token still stops working when it expires.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from api.auth.dev_keys import DEV_AUDIENCE, DEV_ISSUER
from api.auth.principal import Principal
from api.auth.verified_tokens import VerifiedTokens
from api.auth.verifier import InvalidToken, TokenVerifier

from tests.auth_tokens import KEY_SET, claims, signed, tampered
from tests.manual_clock import ManualClock

ALICE = Principal(subject="alice", scopes=frozenset({"orders:read"}), email=None)
BOB = Principal(subject="bob", scopes=frozenset(), email=None)


def test_a_kept_token_names_its_caller_until_it_expires() -> None:
    clock = ManualClock()
    tokens = VerifiedTokens(clock=clock)
    tokens.keep("t1", ALICE, expires_at=1_030.0)
    assert tokens.get("t1") == ALICE
    assert tokens.get("t2") is None
    clock.now = 1_029.9
    assert tokens.get("t1") == ALICE
    clock.now = 1_030.0
    assert tokens.get("t1") is None
    assert len(tokens) == 0


def test_a_long_lived_token_is_checked_again_after_the_maximum_age() -> None:
    clock = ManualClock()
    tokens = VerifiedTokens(clock=clock, max_age_seconds=60)
    tokens.keep("t1", ALICE, expires_at=1_000.0 + 86_400)
    clock.now = 1_059.0
    assert tokens.get("t1") == ALICE
    clock.now = 1_060.0
    assert tokens.get("t1") is None


def test_the_oldest_token_makes_room_when_full() -> None:
    tokens = VerifiedTokens(clock=ManualClock(), max_entries=2)
    tokens.keep("t1", ALICE, expires_at=2_000.0)
    tokens.keep("t2", BOB, expires_at=2_000.0)
    tokens.keep("t3", BOB, expires_at=2_000.0)
    assert (tokens.get("t1"), tokens.get("t2"), tokens.get("t3")) == (None, BOB, BOB)
    assert len(tokens) == 2


async def test_the_verifier_keeps_only_good_tokens_and_drops_them_when_they_expire() -> None:
    remembered = VerifiedTokens()
    verifier = TokenVerifier(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        keys=KEY_SET,
        leeway_seconds=0,
        verified=remembered,
    )
    short_lived = signed(claims(exp=int(time.time()) + 2))
    principal = await verifier.verify(short_lived)
    assert len(remembered) == 1
    assert await verifier.verify(short_lived) == principal

    with pytest.raises(InvalidToken):
        await verifier.verify(tampered(short_lived))
    assert len(remembered) == 1

    await asyncio.sleep(max(0.0, int(time.time()) + 2 - time.time()) + 1.1)
    with pytest.raises(InvalidToken, match="expired"):
        await verifier.verify(short_lived)
