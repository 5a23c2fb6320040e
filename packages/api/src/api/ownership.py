"""Who owns a workflow, and how one caller's ids are kept apart from another's.

A workflow started over HTTP carries its owner, the token's subject, in the ``Owner`` search
attribute. The API reads it from the workflow's description (no history, so no payload has to
be decrypted) and answers a caller who is not the owner, and not an admin, exactly as it answers
an id that does not exist: existence does not leak.

Ids are scoped to the caller. A client-chosen key (an order id, an ``Idempotency-Key``) becomes
the workflow id ``<prefix>-<owner tag>-<key>``, the owner tag being 12 hex digits of SHA-256 of
the subject: two callers using the same key get two workflows, and one caller's retry finds its
own. The API answers with that id and its URLs carry it; a URL may also use the short form
``order-<order_id>`` / ``report-<key>``, which means the caller's own (so the README's
``/orders/order-A-1001/status`` works for whoever started order A-1001).
"""

from __future__ import annotations

import hashlib

from contracts.search_attributes import OWNER
from temporalio.client import WorkflowExecutionDescription

from api.auth.principal import Principal

__all__ = ["owner_tag", "owns", "scoped_id"]

_TAG_HEX_DIGITS = 12


def owner_tag(subject: str) -> str:
    """12 hex digits of SHA-256 of the subject: the owner's part of a workflow id.

    A hash, not the subject, because a subject may hold characters a workflow id may not, and
    workflow ids appear in logs and in the Web UI.
    """
    return hashlib.sha256(subject.encode()).hexdigest()[:_TAG_HEX_DIGITS]


def scoped_id(public_id: str, subject: str) -> str:
    """The Temporal workflow id of ``subject``'s ``public_id``: the tag after the prefix.

    ``order-A-1001`` becomes ``order-<tag>-A-1001``; an id without a prefix gets one (``<tag>-id``).
    """
    prefix, dash, rest = public_id.partition("-")
    if not dash:
        return f"{owner_tag(subject)}-{public_id}"
    return f"{prefix}-{owner_tag(subject)}-{rest}"


def owns(caller: Principal, description: WorkflowExecutionDescription) -> bool:
    """Whether ``caller`` may see the described workflow: its owner, or an admin.

    A workflow without an owner (started through Temporal directly, as the guide's samples do)
    is visible to admins only.
    """
    if caller.is_admin:
        return True
    return description.typed_search_attributes.get(OWNER) == caller.subject
