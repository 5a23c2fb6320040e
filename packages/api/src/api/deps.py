"""FastAPI dependencies and their ``Annotated`` aliases.

The lifespan stores one :class:`AppDependencies` on ``app.state.app_dependencies``; handlers reach
it through these dependencies (``temporal_service: TemporalServiceDep``,
``calls: WorkflowCallsDep``), which tests replace with ``app.dependency_overrides``. The direct
``request.app.state.app_dependencies.temporal_service`` access from the guide works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from temporal_core import TemporalClientService
from temporalio.client import Client

from api.auth.verifier import TokenVerifier
from api.schedule_calls import ScheduleCalls
from api.settings import ApiSettings
from api.start_limits import StartRateLimiter
from api.workflow_calls import WorkflowCalls

__all__ = [
    "ApiSettingsDep",
    "AppDependencies",
    "ScheduleCallsDep",
    "StartLimiterDep",
    "TemporalClientDep",
    "TemporalServiceDep",
    "WorkflowCallsDep",
    "get_api_settings",
    "get_app_dependencies",
    "get_schedule_calls",
    "get_start_limiter",
    "get_temporal_client",
    "get_temporal_service",
    "get_workflow_calls",
]


@dataclass(frozen=True)
class AppDependencies:
    """What the lifespan creates once per process and every request shares."""

    temporal_service: TemporalClientService
    settings: ApiSettings
    token_verifier: TokenVerifier | None
    """Checks bearer tokens; ``None`` when ``API_AUTH_ENABLED=false``."""
    start_limiter: StartRateLimiter
    """This process's per-caller start allowance (``API_START_RATE_PER_MINUTE``)."""


# The dependencies are ``async def`` although none of them awaits: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop (and a wait for a free thread under load) per
# dependency per request, for work that takes microseconds.


async def get_app_dependencies(request: Request) -> AppDependencies:
    """The process-wide dependencies the lifespan stored on the app."""
    return _app_dependencies(request)


def _app_dependencies(request: Request) -> AppDependencies:
    dependencies: AppDependencies = request.app.state.app_dependencies
    return dependencies


async def get_temporal_service(request: Request) -> TemporalClientService:
    """The shared ``TemporalClientService`` (connects lazily; never per request)."""
    return _app_dependencies(request).temporal_service


async def get_api_settings(request: Request) -> ApiSettings:
    """The API's limits."""
    return _app_dependencies(request).settings


async def get_start_limiter(request: Request) -> StartRateLimiter:
    """The process-wide per-caller start rate limiter."""
    return _app_dependencies(request).start_limiter


StartLimiterDep = Annotated[StartRateLimiter, Depends(get_start_limiter)]
"""``limiter: StartLimiterDep`` in the signature of a route that starts workflows."""

TemporalServiceDep = Annotated[TemporalClientService, Depends(get_temporal_service)]
"""``temporal_service: TemporalServiceDep`` in a handler signature."""

ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
"""``settings: ApiSettingsDep`` in a handler signature."""


async def get_temporal_client(temporal_service: TemporalServiceDep) -> Client:
    """The connected client; disabled or unreachable Temporal becomes a 503 problem."""
    return await temporal_service.get_client()


TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
"""``client: TemporalClientDep`` in a handler signature."""


async def get_workflow_calls(client: TemporalClientDep, settings: ApiSettingsDep) -> WorkflowCalls:
    """The Temporal calls of one request, on the shared client and the API's deadlines.

    Workflows start on the task queues their contracts name. Tests route them elsewhere by
    overriding this dependency with a ``WorkflowCalls(..., task_queues=...)``.
    """
    return WorkflowCalls(client, settings)


WorkflowCallsDep = Annotated[WorkflowCalls, Depends(get_workflow_calls)]
"""``calls: WorkflowCallsDep`` in a handler signature."""


async def get_schedule_calls(client: TemporalClientDep, settings: ApiSettingsDep) -> ScheduleCalls:
    """The Temporal Schedule calls of one request; tests override it like ``WorkflowCalls``."""
    return ScheduleCalls(client, settings)


ScheduleCallsDep = Annotated[ScheduleCalls, Depends(get_schedule_calls)]
"""``schedules: ScheduleCallsDep`` in a handler signature."""
