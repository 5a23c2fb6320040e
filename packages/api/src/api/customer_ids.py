"""``CustomerId``: a keyed hash of a customer's e-mail, what the index holds instead of it.

HMAC-SHA256 under ``API_CUSTOMER_ID_KEY`` of the address, trimmed and lower-cased, so the same
customer gets the same id however they typed it, and nobody without the key can turn an id back
into an address (a plain hash of an e-mail is reversed by hashing a list of addresses). Support
computes the id of an address with ``uv run --package api customer-id ADDRESS`` and searches
``CustomerId = '<id>'`` in the Web UI or the CLI.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["customer_id", "normalized_email"]

_PREFIX = "cust_"


def normalized_email(email: str) -> str:
    """The form hashed: no surrounding blanks, lower case (``Ada@Example.COM`` is one customer)."""
    return email.strip().lower()


def customer_id(email: str, key: str) -> str:
    """``cust_`` and 32 hex digits (128 bits) of HMAC-SHA256(key, normalized e-mail)."""
    digest = hmac.new(key.encode(), normalized_email(email).encode(), hashlib.sha256).hexdigest()
    return _PREFIX + digest[:32]
