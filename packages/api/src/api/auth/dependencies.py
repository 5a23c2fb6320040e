"""The ``caller`` every route takes: the verified ``Principal``, checked for the route's scope.

A route declares what it needs in its signature, e.g. ``caller: OrdersWriter``; FastAPI then
reads the bearer token, :class:`~api.auth.verifier.TokenVerifier` verifies it, and a missing scope
answers 403 before the handler runs. With ``API_AUTH_ENABLED=false`` every caller is one admin
(the API warns about that at start-up).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from api.auth import scopes
from api.auth.principal import Principal
from api.auth.verifier import InvalidToken
from api.deps import AppDependencies, get_app_dependencies
from api.errors.auth import MissingScope, NotAuthenticated

__all__ = [
    "ApprovalsDecider",
    "ApprovalsReader",
    "ApprovalsWriter",
    "OrdersReader",
    "OrdersWriter",
    "ReportsReader",
    "ReportsWriter",
    "authorize",
]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An OAuth2 access token (JWT). Scopes: "
    + "; ".join(f"`{name}`: {text}" for name, text in scopes.DESCRIPTIONS.items()),
)


async def authorize(
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    dependencies: Annotated[AppDependencies, Depends(get_app_dependencies)],
) -> Principal:
    """The caller, once its token is verified and holds every scope the route names."""
    verifier = dependencies.token_verifier
    if verifier is None:
        return Principal.unauthenticated_admin()
    if credentials is None:
        raise NotAuthenticated(
            "send an access token: Authorization: Bearer <token>", invalid_token=False
        )
    try:
        principal = await verifier.verify(credentials.credentials)
    except InvalidToken as error:
        raise NotAuthenticated(str(error), invalid_token=True) from None
    missing = [scope for scope in security_scopes.scopes if not principal.can(scope)]
    if missing:
        raise MissingScope(missing)
    return principal


OrdersReader = Annotated[Principal, Security(authorize, scopes=[scopes.ORDERS_READ])]
OrdersWriter = Annotated[Principal, Security(authorize, scopes=[scopes.ORDERS_WRITE])]
ApprovalsReader = Annotated[Principal, Security(authorize, scopes=[scopes.APPROVALS_READ])]
ApprovalsWriter = Annotated[Principal, Security(authorize, scopes=[scopes.APPROVALS_WRITE])]
ApprovalsDecider = Annotated[Principal, Security(authorize, scopes=[scopes.APPROVALS_DECIDE])]
ReportsReader = Annotated[Principal, Security(authorize, scopes=[scopes.REPORTS_READ])]
ReportsWriter = Annotated[Principal, Security(authorize, scopes=[scopes.REPORTS_WRITE])]
