"""Tokens for tests: one key set per test run, and callers with the scopes a test needs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from api.auth.dev_keys import mint_token, new_key_set
from api.auth.scopes import ADMIN, ALL_SCOPES

KEY_SET: dict[str, Any] = new_key_set("tests")
"""The key set every API the tests start trusts (``API_AUTH_KEYS``)."""
KEY_SET_JSON = json.dumps(KEY_SET)
AUTH_ENV: dict[str, str] = {"API_AUTH_KEYS": KEY_SET_JSON}
"""The environment an API process started by a test needs to trust the tests' tokens."""

USER_SCOPES = sorted(ALL_SCOPES - {ADMIN})
"""Every scope but admin: a caller that can do everything, but only to its own workflows."""


def token(
    subject: str = "test-user", scopes: Iterable[str] = USER_SCOPES, email: str | None = None
) -> str:
    """A valid token for ``subject`` holding ``scopes``."""
    return mint_token(KEY_SET, subject=subject, scopes=scopes, email=email)


def bearer(
    subject: str = "test-user", scopes: Iterable[str] = USER_SCOPES, **kw: Any
) -> dict[str, str]:
    """The ``Authorization`` header of a caller."""
    return {"Authorization": f"Bearer {token(subject, scopes, **kw)}"}
