"""Tokens for tests: one key set per test run, and callers with the scopes a test needs."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from typing import Any

import jwt
from api.auth.dev_keys import DEV_AUDIENCE, DEV_ISSUER, mint_token, new_key_set
from api.auth.scopes import ADMIN, ALL_SCOPES, ORDERS_READ

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


def claims(**changes: Any) -> dict[str, Any]:
    """Claims of a valid ``orders:read`` token for the tests' issuer; ``None`` drops one."""
    now = int(time.time())
    values: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": "someone",
        "scope": ORDERS_READ,
        "iat": now,
        "exp": now + 600,
    }
    values.update(changes)
    return {name: value for name, value in values.items() if value is not None}


def signed(payload: dict[str, Any], key_set: dict[str, Any] = KEY_SET) -> str:
    """``payload`` signed with the first key of ``key_set`` (the tests' by default)."""
    key = jwt.PyJWK.from_dict(key_set["keys"][0])
    return jwt.encode(payload, key.key, algorithm="HS256", headers={"kid": key.key_id})


def tampered(value: str) -> str:
    """``value`` with its payload changed (another subject) and the old signature kept."""
    header, _, signature = value.split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims(sub="admin")).encode()).rstrip(b"=")
    return f"{header}.{payload.decode()}.{signature}"
