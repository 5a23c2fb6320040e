"""The guide's ways of reaching the Temporal service work against this app unchanged.

The route bodies below are the guide's "Accessing the Temporal Service", "Quick Start" and
"Health Checks" samples with only their import paths changed.
"""

from __future__ import annotations

from typing import Any

import httpx
from api.auth.scopes import ADMIN
from api.deps import get_temporal_service
from api.main import create_app
from api.settings import ApiSettings
from contracts.orders import OrderInput
from fastapi import APIRouter, Depends, Request
from temporal_core import TemporalClientService
from temporalio.testing import WorkflowEnvironment
from worker_orders.workflows import OrderWorkflow

from tests.api.support import order, serve, temporal_settings_for
from tests.auth_tokens import KEY_SET_JSON, bearer

router = APIRouter(prefix="/guide")


@router.post("/orders")
async def create_order(
    order_data: OrderInput,
    temporal_service: TemporalClientService = Depends(get_temporal_service),  # noqa: B008
) -> dict[str, Any]:
    client = await temporal_service.get_client()
    handle = await OrderWorkflow.start_workflow(
        client, input=order_data, id=f"order-{order_data.order_id}"
    )
    return {"workflow_id": handle.id, "status": "started"}


@router.get("/direct")
async def my_endpoint(request: Request) -> dict[str, Any]:
    app_deps = request.app.state.app_dependencies
    temporal_service = app_deps.temporal_service
    client = await temporal_service.get_client()
    return {"namespace": client.namespace}


@router.get("/health")
async def health_check(
    temporal_service: TemporalClientService = Depends(get_temporal_service),  # noqa: B008
) -> dict[str, Any]:
    temporal_healthy = await temporal_service.health_check()
    return {
        "status": "healthy" if temporal_healthy else "degraded",
        "temporal": {
            "enabled": temporal_service.is_enabled,
            "healthy": temporal_healthy,
            "url": temporal_service.url,
            "namespace": temporal_service.namespace,
        },
    }


async def test_guide_routes_share_the_apps_temporal_service(
    temporal_env: WorkflowEnvironment,
) -> None:
    app = create_app(
        ApiSettings(auth_keys=KEY_SET_JSON),
        temporal_settings=temporal_settings_for(temporal_env.client),
    )
    app.include_router(router)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        body = order()
        started = await http.post("/guide/orders", json=body)
        assert started.json() == {"workflow_id": f"order-{body['order_id']}", "status": "started"}
        assert (await http.get("/guide/direct")).json() == {"namespace": "default"}
        guide_health = (await http.get("/guide/health")).json()
        assert guide_health == (await http.get("/health")).json()

        # The app's own routes see the workflow the guide's route started (no worker polls
        # the guide's queue here, so stop it first rather than wait on its state query). It has
        # no owner (the guide's route records none), so only an admin sees it.
        await temporal_env.client.get_workflow_handle(started.json()["workflow_id"]).terminate()
        path = f"/orders/order-{body['order_id']}/status"
        assert (await http.get(path, headers=bearer())).status_code == 404
        status = await http.get(path, headers=bearer("ops", [ADMIN]))
        assert (status.status_code, status.json()["status"]) == (200, "terminated")
