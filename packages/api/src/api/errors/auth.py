"""The problems authentication and authorization answer with (401, 403)."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["MissingScope", "NotAuthenticated"]


class NotAuthenticated(ApiProblem):
    """No bearer token, or one that does not prove who the caller is (401).

    Carries ``WWW-Authenticate: Bearer`` (RFC 6750) so a client knows what to send.
    """

    status = 401
    kind = "not-authenticated"
    title = "Not authenticated"

    def __init__(self, detail: str, *, invalid_token: bool) -> None:
        """``invalid_token``: a token was sent but refused (RFC 6750's ``error`` code)."""
        challenge = 'Bearer realm="api"'
        if invalid_token:
            challenge += f', error="invalid_token", error_description="{detail}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class MissingScope(ApiProblem):
    """The caller is known but its token lacks a scope this action needs (403)."""

    status = 403
    kind = "missing-scope"
    title = "Missing scope"

    def __init__(self, missing: list[str]) -> None:
        """``missing``: the scopes the token would need to hold."""
        names = " ".join(missing)
        super().__init__(
            f"this action needs the scope(s): {names}",
            headers={
                "WWW-Authenticate": f'Bearer realm="api", error="insufficient_scope", '
                f'scope="{names}"'
            },
            extensions={"required_scopes": missing},
        )
