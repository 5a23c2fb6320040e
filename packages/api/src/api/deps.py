"""FastAPI dependencies and their ``Annotated`` aliases.

The lifespan stores one :class:`AppDependencies` on ``app.state.app_dependencies``; handlers reach
it through these dependencies (``temporal_service: TemporalServiceDep``), which tests replace with
``app.dependency_overrides``. The direct ``request.app.state.app_dependencies.temporal_service``
access from the guide works too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from temporal_core import TemporalClientService
from temporalio.client import Client

from api.settings import ApiSettings

__all__ = [
    "ApiSettingsDep",
    "AppDependencies",
    "TemporalClientDep",
    "TemporalServiceDep",
    "get_api_settings",
    "get_app_dependencies",
    "get_temporal_client",
    "get_temporal_service",
]


@dataclass(frozen=True)
class AppDependencies:
    """What the lifespan creates once per process and every request shares."""

    temporal_service: TemporalClientService
    settings: ApiSettings


def get_app_dependencies(request: Request) -> AppDependencies:
    """The process-wide dependencies the lifespan stored on the app."""
    dependencies: AppDependencies = request.app.state.app_dependencies
    return dependencies


def get_temporal_service(request: Request) -> TemporalClientService:
    """The shared ``TemporalClientService`` (connects lazily; never per request)."""
    return get_app_dependencies(request).temporal_service


def get_api_settings(request: Request) -> ApiSettings:
    """The API's limits and queue routing."""
    return get_app_dependencies(request).settings


TemporalServiceDep = Annotated[TemporalClientService, Depends(get_temporal_service)]
"""``temporal_service: TemporalServiceDep`` in a handler signature."""

ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
"""``settings: ApiSettingsDep`` in a handler signature."""


async def get_temporal_client(temporal_service: TemporalServiceDep) -> Client:
    """The connected client; disabled or unreachable Temporal becomes a 503 problem."""
    return await temporal_service.get_client()


TemporalClientDep = Annotated[Client, Depends(get_temporal_client)]
"""``client: TemporalClientDep`` in a handler signature."""
