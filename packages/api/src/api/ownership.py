"""Who owns a workflow, and the ids that keep one caller's keys apart from another's.

A workflow started over HTTP carries its owner, the token's subject, in the ``Owner`` search
attribute. The API reads it from the workflow's description (no history, so no payload has to
be decrypted) and answers a caller who is not the owner, and not an admin, exactly as it answers
an id that does not exist: existence does not leak.

Client-chosen keys (an order id, an ``Idempotency-Key``) are scoped to the caller: the workflow
id holds a short hash of the owner before the key, so two callers using the same key get two
workflows, and one caller retrying finds its own. The hash, not the subject, goes into the id:
a subject may hold characters an id may not, and ids appear in URLs and logs.
"""

from __future__ import annotations

import hashlib

from contracts.search_attributes import OWNER
from temporalio.client import WorkflowExecutionDescription
from temporalio.common import TypedSearchAttributes

from api.auth.principal import Principal

__all__ = ["owner_of", "owner_tag", "owns", "scoped_id"]

_TAG_HEX_DIGITS = 12


def owner_tag(subject: str) -> str:
    """12 hex digits of SHA-256 of the subject: the owner's part of a workflow id."""
    return hashlib.sha256(subject.encode()).hexdigest()[:_TAG_HEX_DIGITS]


def scoped_id(prefix: str, caller: Principal, key: str) -> str:
    """``<prefix>-<owner tag>-<key>``: the workflow id of ``key`` for this caller."""
    return f"{prefix}-{owner_tag(caller.subject)}-{key}"


def owner_of(attributes: TypedSearchAttributes) -> str | None:
    """The ``Owner`` search attribute, or None for a workflow not started over HTTP."""
    return attributes.get(OWNER)


def owns(caller: Principal, description: WorkflowExecutionDescription) -> bool:
    """Whether ``caller`` may see the described workflow: its owner, or an admin.

    A workflow without an owner (started through Temporal directly, as the guide's samples do)
    is visible to admins only.
    """
    if caller.is_admin:
        return True
    return owner_of(description.typed_search_attributes) == caller.subject
