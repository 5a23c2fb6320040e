"""The rows of a report, generated deterministically from the report id and the row number.

Row ``n`` of a report is the same in every attempt and on every worker, so a chunk that is
rewritten after a crash produces identical bytes and a resumed chunk joins seamlessly.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

__all__ = ["REPORT_TYPES", "report_row"]

_REGIONS = ("north", "south", "east", "west")
_PRODUCTS = ("widget", "gadget", "gizmo", "doohickey", "sprocket")
_WAREHOUSES = ("ams-1", "fra-2", "lon-1", "par-3")
_EPOCH = date(2026, 1, 1)


def _sales(n: int, rng: random.Random) -> dict[str, Any]:
    units = rng.randint(1, 20)
    unit_price = round(rng.uniform(5, 200), 2)
    return {
        "row": n,
        "date": (_EPOCH + timedelta(days=n % 365)).isoformat(),
        "region": rng.choice(_REGIONS),
        "product": rng.choice(_PRODUCTS),
        "units": units,
        "unit_price": unit_price,
        "revenue": round(units * unit_price, 2),
    }


def _inventory(n: int, rng: random.Random) -> dict[str, Any]:
    return {
        "row": n,
        "sku": f"SKU-{rng.randint(10000, 99999)}",
        "product": rng.choice(_PRODUCTS),
        "warehouse": rng.choice(_WAREHOUSES),
        "on_hand": rng.randint(0, 500),
        "reorder_level": rng.randint(10, 50),
    }


REPORT_TYPES: dict[str, Callable[[int, random.Random], dict[str, Any]]] = {
    "sales": _sales,
    "inventory": _inventory,
}
"""Known report types; any other name gets the sales layout with its own name in each row."""


def report_row(report_id: str, report_type: str, n: int) -> dict[str, Any]:
    """Row ``n`` (0-based) of report ``report_id``."""
    rng = random.Random(f"{report_id}:{n}")
    known = REPORT_TYPES.get(report_type)
    if known is not None:
        return known(n, rng)
    return {"report_type": report_type, **_sales(n, rng)}
