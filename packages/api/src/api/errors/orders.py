"""Problems only the order routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["OrderFailed"]


class OrderFailed(ApiProblem):
    """The order workflow completed but reports the order as failed, e.g. payment declined (409)."""

    status = 409
    kind = "order-failed"
    title = "Order failed"
