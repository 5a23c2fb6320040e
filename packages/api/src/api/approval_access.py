"""Who may see and act on an approval request, checked before any call that reveals it.

The requester (the token subject that started it, kept in the workflow's memo as an opaque id)
owns the request: it reads and withdraws it. The approver, named by e-mail in the request, reads
and decides it; a caller holding ``approvals:delegate`` may decide (so also read) any request,
and ``admin`` sees everything. Anyone else gets the same 404 as for an id that does not exist,
so a request's existence does not leak. Whether a decider is the approver is finally decided
by the workflow's ``decide`` validator; the check here only keeps strangers out.
"""

from __future__ import annotations

from enum import Enum

from contracts.approvals import APPROVAL, is_approver

from api.auth import scopes
from api.auth.principal import Principal
from api.workflow_calls import WorkflowCalls

__all__ = ["REQUESTER_MEMO_KEY", "Role", "role_of"]

REQUESTER_MEMO_KEY = "requested_by"
"""The memo entry holding the requester's token subject (an opaque id, never an e-mail)."""


class Role(Enum):
    """How a caller relates to one approval request."""

    REQUESTER = "requester"
    """Started it (or is an admin): reads and withdraws it."""
    APPROVER = "approver"
    """Named as its approver, or may decide for others: reads and decides it."""
    STRANGER = "stranger"
    """Neither: the request is not found for it."""


async def role_of(calls: WorkflowCalls, workflow_id: str, caller: Principal) -> Role:
    """The caller's role for ``workflow_id``; 404 when no approval has the id."""
    description = await calls.describe(APPROVAL, workflow_id)
    if caller.is_admin:
        return Role.REQUESTER
    requester = await description.memo_value(REQUESTER_MEMO_KEY, None)
    if requester is not None and requester == caller.subject:
        return Role.REQUESTER
    if caller.can(scopes.APPROVALS_DELEGATE):
        return Role.APPROVER
    if caller.email is not None:
        # The approver's e-mail stays out of memos and indexes; the request itself holds it.
        request = await calls.started_input(APPROVAL, workflow_id)
        if is_approver(caller.email, request.approver_email):
            return Role.APPROVER
    return Role.STRANGER
