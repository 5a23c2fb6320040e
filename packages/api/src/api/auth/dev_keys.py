"""The local stack's signing key and its ready-to-use tokens.

A real deployment verifies tokens its identity provider signs (``API_AUTH_JWKS_URL``); the local
stack has no identity provider, so it makes one HMAC key, gives the API the key set, and signs
tokens for the developer with it (``uv run token``). Never use these keys outside a laptop.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from api.auth import scopes as scope_names

__all__ = [
    "DEV_AUDIENCE",
    "DEV_CALLERS",
    "DEV_ISSUER",
    "DevCaller",
    "key_set_from_file",
    "mint_token",
    "new_key_set",
]

DEV_ISSUER = "temporal-fastapi-dev"
"""The issuer the local stack's tokens name, and ``API_AUTH_ISSUER``'s default."""
DEV_AUDIENCE = "temporal-fastapi-api"
"""The audience the local stack's tokens name, and ``API_AUTH_AUDIENCE``'s default."""


def new_key_set(key_id: str = "dev-1") -> dict[str, Any]:
    """A fresh JWK set holding one random 256-bit HS256 key."""
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return {"keys": [{"kty": "oct", "kid": key_id, "alg": "HS256", "k": secret, "use": "sig"}]}


def mint_token(
    key_set: Mapping[str, Any],
    *,
    subject: str,
    scopes: Iterable[str],
    email: str | None = None,
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    ttl_seconds: int = 12 * 3600,
) -> str:
    """A token signed with the key set's first key, valid for ``ttl_seconds``."""
    key = jwt.PyJWK.from_dict(dict(key_set["keys"][0]))
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "scope": " ".join(sorted(set(scopes))),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if email:
        claims["email"] = email
    return jwt.encode(claims, key.key, algorithm=key.algorithm_name, headers={"kid": key.key_id})


def key_set_from_file(path: Path, *, create: bool = False) -> dict[str, Any]:
    """The JWK set in ``path``; with ``create``, a new one is written there first if missing.

    A new file is created readable by its owner only (0600): whoever reads it can sign tokens.
    Raises ``OSError`` when it cannot be read or written and ``ValueError`` when it is not a JWK
    set.
    """
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two stacks starting at once must not both write (and mismatch) the key.
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as file:
                json.dump(new_key_set(), file)
    try:
        key_set = json.loads(path.read_text())
        jwt.PyJWKSet.from_dict(key_set)
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise ValueError(f'{path} is not a JWK set ({{"keys": [...]}}): {error}') from None
    if not isinstance(key_set, dict):
        raise ValueError(f"{path} is not a JWK set")
    return dict(key_set)  # pyright: ignore[reportUnknownArgumentType]


@dataclass(frozen=True)
class DevCaller:
    """A sample user of the local stack: who the ``token --as NAME`` token names."""

    name: str
    email: str | None
    scopes: frozenset[str]
    role: str
    """What the caller is for, shown next to its token."""


DEV_CALLERS: dict[str, DevCaller] = {
    caller.name: caller
    for caller in (
        DevCaller(
            name="alice",
            email="alice@example.com",
            scopes=scope_names.ALL_SCOPES
            - {scope_names.ADMIN, scope_names.APPROVALS_DECIDE, scope_names.APPROVALS_DELEGATE},
            role="an ordinary user: orders, reports, asks for approvals",
        ),
        DevCaller(
            name="lead",
            email="lead@example.com",
            scopes=frozenset({scope_names.APPROVALS_READ, scope_names.APPROVALS_DECIDE}),
            role="an approver: decides the requests that name lead@example.com",
        ),
        DevCaller(
            name="admin",
            email=None,
            scopes=frozenset({scope_names.ADMIN}),
            role="sees and acts on everyone's workflows",
        ),
    )
}
"""The local stack's sample users; the README's quick start uses alice and lead."""
