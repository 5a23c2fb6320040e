"""``Principal``: the verified caller of a request."""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.scopes import ADMIN, ALL_SCOPES

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who made a request, as the token says: an opaque subject id, an e-mail, and scopes.

    ``subject`` (the token's ``sub``) is what ownership is recorded as; it is an id, never an
    e-mail, so it may go into search attributes. ``email`` is only used to match an approver and
    is never logged or indexed.
    """

    subject: str
    scopes: frozenset[str]
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        """Whether the caller may see and act on every caller's workflows."""
        return ADMIN in self.scopes

    def can(self, scope: str) -> bool:
        """Whether the caller holds ``scope`` (``admin`` holds every scope)."""
        return scope in self.scopes or self.is_admin

    @classmethod
    def unauthenticated_admin(cls) -> Principal:
        """The caller of every request when ``API_AUTH_ENABLED=false``: one admin for all."""
        return cls(subject="anonymous", scopes=ALL_SCOPES)
