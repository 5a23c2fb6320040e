"""Problems only the order routes answer with."""

from __future__ import annotations

from api.problems import ApiProblem

__all__ = ["OrderFailed", "OrderNotCancellable"]


class OrderFailed(ApiProblem):
    """The order workflow completed but reports the order as failed, e.g. payment declined (409)."""

    status = 409
    kind = "order-failed"
    title = "Order failed"


class OrderNotCancellable(ApiProblem):
    """The order refused a cancel request: it is being confirmed or is failing already (409)."""

    status = 409
    kind = "order-not-cancellable"
    title = "Order cannot be cancelled"
