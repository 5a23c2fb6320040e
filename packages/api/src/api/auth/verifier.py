"""``TokenVerifier``: checks a bearer JWT and turns its claims into a ``Principal``.

Keys come from a static JWK set (``API_AUTH_KEYS`` / ``API_AUTH_KEYS_FILE``, what the local stack
uses) or an identity provider's JWKS URL (``API_AUTH_JWKS_URL``, fetched and cached by PyJWT). A
token must be signed by one of those keys with the key's own algorithm (so an HMAC key can never
verify an RSA-signed token or the reverse, and ``alg: none`` never verifies), name the configured
issuer and audience, carry ``sub`` and ``exp``, and not be expired.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import jwt

from api.auth.principal import Principal
from api.auth.verified_tokens import VerifiedTokens

__all__ = ["InvalidToken", "TokenVerifier"]


class InvalidToken(Exception):
    """A token that does not prove who the caller is; the message is safe to show the caller."""


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    # OAuth2 puts scopes in "scope" as one space-separated string (RFC 8693); some providers
    # (Azure AD, Okta) use "scp", as a string or a list.
    raw = claims.get("scope", claims.get("scp", ""))
    if isinstance(raw, str):
        return frozenset(raw.split())
    if isinstance(raw, list):
        items: list[Any] = raw  # pyright: ignore[reportUnknownVariableType]
        return frozenset(str(item) for item in items)
    raise InvalidToken("the token's scope claim is neither a string nor a list")


class TokenVerifier:
    """Verifies tokens for one issuer and audience against a static key set or a JWKS URL."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        keys: Mapping[str, Any] | None = None,
        jwks_url: str | None = None,
        leeway_seconds: float = 30.0,
        verified: VerifiedTokens | None = None,
    ) -> None:
        if (keys is None) == (jwks_url is None):
            raise ValueError("give exactly one of keys (a JWK set) and jwks_url")
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        self._verified = verified if verified is not None else VerifiedTokens()
        self._static = jwt.PyJWKSet.from_dict(dict(keys)) if keys is not None else None
        self._remote = (
            jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)
            if jwks_url is not None
            else None
        )

    @classmethod
    def from_key_set_json(cls, text: str, *, issuer: str, audience: str) -> TokenVerifier:
        """A verifier over a JWK set given as JSON text (``{"keys": [...]}``).

        Raises ``ValueError`` saying what is wrong when the text is not a usable JWK set.
        """
        try:
            keys = json.loads(text)
            return cls(issuer=issuer, audience=audience, keys=keys)
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise ValueError(f'not a JWK set ({{"keys": [...]}}): {error}') from None

    async def verify(self, token: str) -> Principal:
        """The caller the token names; raises ``InvalidToken`` saying why it does not."""
        known = self._verified.get(token)
        if known is not None:
            return known
        key = await self._signing_key(token)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[key.algorithm_name],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token is not for this API (audience)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token was not issued by the trusted issuer") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"the token has no {error.claim!r} claim") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("the token's signature or claims are invalid") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token's 'sub' claim is empty")
        email = claims.get("email")
        principal = Principal(
            subject=subject,
            scopes=_scopes(claims),
            email=email if isinstance(email, str) and email else None,
        )
        # exp passed jwt.decode's check, so it is a number; the leeway is the one it allowed.
        self._verified.keep(token, principal, expires_at=float(claims["exp"]) + self._leeway)
        return principal

    async def _signing_key(self, token: str) -> jwt.PyJWK:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the bearer value is not a JWT") from None
        kid = header.get("kid")
        if self._static is not None:
            keys = self._static.keys
            matching = [key for key in keys if kid is None or key.key_id == kid]
            if not matching or (kid is None and len(keys) > 1):
                raise InvalidToken("the token is signed with an unknown key")
            return matching[0]
        assert self._remote is not None
        try:
            # PyJWKClient fetches with blocking urllib; keep it off the event loop.
            return await asyncio.to_thread(self._remote.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            raise InvalidToken("the identity provider's keys could not be fetched") from None
        except jwt.PyJWKClientError:
            raise InvalidToken("the token is signed with an unknown key") from None
