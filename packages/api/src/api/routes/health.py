"""``/health`` (readiness: can we reach Temporal?) and ``/health/live`` (is the process up?)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import TemporalServiceDep
from api.models.health import HealthResponse, LivenessResponse, TemporalHealth

__all__ = ["router"]

router = APIRouter(prefix="/health", tags=["health"])


@router.get(
    "",
    response_model=HealthResponse,
    responses={503: {"model": HealthResponse, "description": "Temporal is disabled or down."}},
    summary="Readiness: is Temporal reachable?",
)
async def health_check(temporal_service: TemporalServiceDep, response: Response) -> HealthResponse:
    """The guide's health shape; 503 when degraded, so load balancers stop routing here.

    The check is bounded (2 s by default) and never raises, so this answers promptly even while
    the Temporal server is down.
    """
    healthy = await temporal_service.health_check()
    body = HealthResponse(
        status="healthy" if healthy else "degraded",
        temporal=TemporalHealth(
            enabled=temporal_service.is_enabled,
            healthy=healthy,
            url=temporal_service.url,
            namespace=temporal_service.namespace,
        ),
    )
    if not healthy:
        response.status_code = 503
    return body


@router.get("/live", response_model=LivenessResponse, summary="Liveness: is the process up?")
async def liveness() -> LivenessResponse:
    """Always 200 while the process serves HTTP; it never touches Temporal."""
    return LivenessResponse()
