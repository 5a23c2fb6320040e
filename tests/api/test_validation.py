"""Input limits: every violation is a 4xx problem that names what is wrong."""

from __future__ import annotations

import json

import httpx
import pytest
from api.deps import get_api_settings
from api.settings import ApiSettings

from tests.api.support import ApiStack, order
from tests.api.test_orders import assert_problem


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": 0}, "body.amount"),
        ({"amount": -5}, "body.amount"),
        ({"amount": 1e12}, "body.amount"),
        ({"amount": "lots"}, "body.amount"),
        ({"customer_email": "not-an-email"}, "body.customer_email"),
        ({"order_id": "has space"}, "body.order_id"),
        ({"order_id": "../etc/passwd"}, "body.order_id"),
        ({"order_id": "x" * 65}, "body.order_id"),
        ({"order_id": ""}, "body.order_id"),
        ({"items": [{"sku": "A"}] * 101}, "body.items"),
        ({"unexpected": True}, "body.unexpected"),
    ],
)
async def test_invalid_order_fields_are_422_naming_the_field(
    http: httpx.AsyncClient, overrides: dict[str, object], field: str
) -> None:
    response = await http.post("/orders", json=order(**overrides))
    problem = assert_problem(response, 422, "validation")
    assert field in [error["field"] for error in problem["errors"]]
    assert field in problem["detail"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_non_finite_amounts_are_refused(http: httpx.AsyncClient, literal: str) -> None:
    # Python's JSON parser accepts these non-standard literals, so they must be refused by the
    # model, not by luck.
    raw = (
        '{"order_id": "NF-1", "customer_email": "a@example.com", "amount": ' + literal + "}"
    ).encode()
    response = await http.post("/orders", content=raw, headers={"content-type": "application/json"})
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["field"] == "body.amount"


async def test_missing_fields_and_malformed_json(http: httpx.AsyncClient) -> None:
    missing = await http.post("/orders", json={"order_id": "M-1"})
    fields = {error["field"] for error in assert_problem(missing, 422, "validation")["errors"]}
    assert {"body.customer_email", "body.amount"} <= fields

    broken = await http.post(
        "/orders", content=b'{"order_id": ', headers={"content-type": "application/json"}
    )
    assert_problem(broken, 422, "validation")


async def test_oversized_body_is_413(http: httpx.AsyncClient) -> None:
    big = order(items=[{"note": "x" * 20_000}] * 60)
    response = await http.post("/orders", json=big)
    problem = assert_problem(response, 413, "request-body-too-large")
    assert "1048576" in problem["detail"]


async def test_oversized_chunked_body_is_413(http: httpx.AsyncClient) -> None:
    async def chunks():  # no Content-Length: the limit must hold while streaming too
        for _ in range(40):
            yield b"x" * 50_000

    response = await http.post(
        "/orders", content=chunks(), headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 413, "request-body-too-large")
    assert "1048576" in problem["detail"]


async def test_oversized_body_on_a_route_without_one_is_413_too(http: httpx.AsyncClient) -> None:
    # A declared length over the limit is refused before any route reads, even one that would not.
    response = await http.request("GET", "/health/live", content=b"x" * 1_100_000)
    problem = assert_problem(response, 413, "request-body-too-large")
    assert problem["instance"] == "/health/live"


async def test_idempotency_key_is_validated(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/reports/generate", json={}, headers={"Idempotency-Key": "no spaces allowed"}
    )
    problem = assert_problem(response, 422, "validation")
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"


async def test_unknown_route_and_method_use_the_problem_shape(http: httpx.AsyncClient) -> None:
    assert_problem(await http.get("/nowhere"), 404, "not-found")
    assert_problem(await http.delete("/orders"), 405, "method-not-allowed")


async def test_a_405_lists_every_method_the_path_serves(http: httpx.AsyncClient) -> None:
    # GET (list) and POST (create) are two routes on one path; Allow must name both.
    refused = await http.put("/reports/schedules")
    assert_problem(refused, 405, "method-not-allowed")
    assert refused.headers["Allow"] == "GET, POST"
    one_route = await http.put("/orders")
    assert one_route.headers["Allow"] == "POST"


async def test_limits_come_from_settings_and_can_be_overridden(stack: ApiStack) -> None:
    served: ApiSettings = stack.app.state.app_dependencies.settings
    tight = served.model_copy(update={"max_batch_size": 2, "max_wait_seconds": 1.0})
    stack.app.dependency_overrides[get_api_settings] = lambda: tight
    try:
        batch = await stack.http.post("/orders/batch", json=[order() for _ in range(3)])
        assert "at most 2 orders" in assert_problem(batch, 422, "validation")["detail"]
        wait = await stack.http.get("/orders/order-x/result", params={"wait": 5})
        assert assert_problem(wait, 422, "validation")["errors"][0]["field"] == "query.wait"
    finally:
        # Only this test's override: the stack's own (task queue routing) must stay.
        del stack.app.dependency_overrides[get_api_settings]


def _nested(depth: int, leaf: object, *, in_object: bool) -> object:
    value = leaf
    for _ in range(depth):
        value = {"deeper": value} if in_object else [value]
    return value


@pytest.mark.parametrize("in_object", [False, True], ids=["arrays", "objects"])
async def test_a_body_nested_300_levels_deep_is_422_never_500(
    http: httpx.AsyncClient, in_object: bool
) -> None:
    deep = _nested(300, {"sku": "A"}, in_object=in_object)
    for body, field in (
        (order(items=[deep]), "body.items.0"),
        (order(extra=deep), "body.extra"),
    ):
        # Serialized here so the depth reaches the server exactly as written.
        raw = json.dumps(body).encode()
        response = await http.post(
            "/orders", content=raw, headers={"content-type": "application/json"}
        )
        problem = assert_problem(response, 422, "validation")
        fields = [error["field"] for error in problem["errors"]]
        assert fields, problem
        assert all(name.startswith(field) for name in fields), fields
