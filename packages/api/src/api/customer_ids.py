"""``CustomerId``: a keyed hash of a customer's e-mail, what the index holds instead of it.

HMAC-SHA256 under ``API_CUSTOMER_ID_KEY`` of the address, trimmed and lower-cased, so the same
customer gets the same id however they typed it, and nobody without the key can turn an id back
into an address (a plain hash of an e-mail is reversed by hashing a list of addresses). Support
computes the id of an address with ``uv run python -m api.customer_ids ADDRESS`` (with the
deployment's ``API_CUSTOMER_ID_KEY`` in the environment) and searches ``CustomerId = '<id>'`` in
the Web UI or with ``temporal workflow list --query``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from collections.abc import Sequence

from api.settings import DEV_CUSTOMER_ID_KEY

__all__ = ["CUSTOMER_ID_KEY_ENV", "customer_id", "main", "normalized_email"]

CUSTOMER_ID_KEY_ENV = "API_CUSTOMER_ID_KEY"

_PREFIX = "cust_"


def normalized_email(email: str) -> str:
    """The form hashed: no surrounding blanks, lower case (``Ada@Example.COM`` is one customer)."""
    return email.strip().lower()


def customer_id(email: str, key: str) -> str:
    """``cust_`` and 32 hex digits (128 bits) of HMAC-SHA256(key, normalized e-mail)."""
    digest = hmac.new(key.encode(), normalized_email(email).encode(), hashlib.sha256).hexdigest()
    return _PREFIX + digest[:32]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the ``CustomerId`` of each address given, under ``API_CUSTOMER_ID_KEY``."""
    addresses = list(sys.argv[1:] if argv is None else argv)
    if not addresses:
        print("usage: python -m api.customer_ids ADDRESS...", file=sys.stderr)
        return 2
    key = os.environ.get(CUSTOMER_ID_KEY_ENV) or DEV_CUSTOMER_ID_KEY
    for address in addresses:
        print(customer_id(address, key))
    return 0


if __name__ == "__main__":
    sys.exit(main())
