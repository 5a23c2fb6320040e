"""Every OAuth2 scope the API checks, one per kind of action (docs/security.md lists them)."""

from __future__ import annotations

__all__ = [
    "ADMIN",
    "ALL_SCOPES",
    "APPROVALS_DECIDE",
    "APPROVALS_DELEGATE",
    "APPROVALS_READ",
    "APPROVALS_WRITE",
    "DESCRIPTIONS",
    "ORDERS_READ",
    "ORDERS_WRITE",
    "REPORTS_READ",
    "REPORTS_WRITE",
]

ORDERS_READ = "orders:read"
ORDERS_WRITE = "orders:write"
APPROVALS_READ = "approvals:read"
APPROVALS_WRITE = "approvals:write"
APPROVALS_DECIDE = "approvals:decide"
APPROVALS_DELEGATE = "approvals:delegate"
REPORTS_READ = "reports:read"
REPORTS_WRITE = "reports:write"
ADMIN = "admin"

DESCRIPTIONS: dict[str, str] = {
    ORDERS_READ: "Read the caller's own orders (status, result).",
    ORDERS_WRITE: "Start, signal, update and cancel the caller's own orders.",
    APPROVALS_READ: "Read approval requests the caller made or must decide.",
    APPROVALS_WRITE: "Ask for approvals and withdraw the caller's own requests.",
    APPROVALS_DECIDE: "Approve or reject requests addressed to the caller.",
    APPROVALS_DELEGATE: "Decide requests addressed to someone else (recorded as delegated).",
    REPORTS_READ: "Read and download the caller's own reports.",
    REPORTS_WRITE: "Generate reports and manage report schedules.",
    ADMIN: "See and act on every caller's workflows.",
}
"""Scope name to what it allows; the OpenAPI security scheme shows this table."""

ALL_SCOPES: frozenset[str] = frozenset(DESCRIPTIONS)
