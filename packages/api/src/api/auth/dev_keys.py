"""The local stack's signing key and its ready-to-use tokens.

A real deployment verifies tokens its identity provider signs (``API_AUTH_JWKS_URL``); the local
stack has no identity provider, so it makes one HMAC key, gives the API the key set, and signs
tokens for the developer with it (``uv run token``). Never use these keys outside a laptop.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

import jwt

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER", "mint_token", "new_key_set"]

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
