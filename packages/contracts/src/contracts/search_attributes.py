"""The business search attributes: what support and the API search workflows by.

Each holds an id or a keyed hash, never personal data, so anyone with namespace access can
search by them without the index holding e-mails:

* ``Owner``: the subject (``sub``) of the token that started the workflow over HTTP, an opaque
  id. The API reads it from a workflow's description to decide who may see it.
* ``OrderId``: the client's order id.
* ``CustomerId``: a keyed hash of the customer's normalized e-mail (``api.customer_ids``); support
  computes it from an address (``uv run api customer-id EMAIL``) and searches with it.

Every dev server ``temporal_core`` starts registers them, through the
``temporal_core.search_attributes`` entry point in this package's ``pyproject.toml``; the compose
setup job registers them as well.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

__all__ = ["BUSINESS_SEARCH_ATTRIBUTES", "CUSTOMER_ID", "ORDER_ID", "OWNER"]

OWNER = SearchAttributeKey.for_keyword("Owner")
"""Who started the workflow over HTTP (the token's subject)."""
ORDER_ID = SearchAttributeKey.for_keyword("OrderId")
"""The order's business key."""
CUSTOMER_ID = SearchAttributeKey.for_keyword("CustomerId")
"""A keyed hash of the customer's e-mail, never the e-mail itself."""

BUSINESS_SEARCH_ATTRIBUTES: dict[str, str] = {
    key.name: "Keyword" for key in (OWNER, ORDER_ID, CUSTOMER_ID)
}
"""Name to Temporal type, as ``temporal operator search-attribute create`` takes them."""
