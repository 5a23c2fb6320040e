"""TemporalClientService against a real dev server (and against nothing at all)."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporal_core import (
    TemporalClientService,
    TemporalDisabledError,
    TemporalSettings,
    TemporalUnavailableError,
)
from temporal_core.testing import DevServerProcess
from temporal_core.testing.dev_server import free_port
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment


def service_for(env: WorkflowEnvironment, **values: object) -> TemporalClientService:
    target = env.client.service_client.config.target_host
    return TemporalClientService(TemporalSettings(url=target, **values))  # type: ignore[arg-type]


async def test_health_check_is_true_with_the_server_up(temporal_env: WorkflowEnvironment) -> None:
    service = service_for(temporal_env)
    assert await service.health_check() is True
    assert service.is_enabled
    assert service.namespace == "default"
    assert service.url == temporal_env.client.service_client.config.target_host


async def test_health_check_is_false_within_its_bound_with_no_server() -> None:
    service = TemporalClientService(TemporalSettings(url=f"127.0.0.1:{free_port()}"))
    started = time.monotonic()
    assert await service.health_check(timeout=1.0) is False
    # The bound is the contract (a load balancer probe must not hang), not a speed claim.
    assert time.monotonic() - started < 1.0 + 0.5


class CountingService(TemporalClientService):
    """The real service, counting how often it opens a connection to the server."""

    connects = 0

    async def _connect(self) -> Client:
        self.connects += 1
        await asyncio.sleep(0.05)  # widen the window in which concurrent callers could race
        return await super()._connect()


async def test_concurrent_first_calls_share_one_connection(
    temporal_env: WorkflowEnvironment,
) -> None:
    target = temporal_env.client.service_client.config.target_host
    service = CountingService(TemporalSettings(url=target))
    clients = await asyncio.gather(*(service.get_client() for _ in range(25)))
    assert service.connects == 1
    assert all(client is clients[0] for client in clients)
    assert await service.get_client() is clients[0]
    assert service.connects == 1


async def test_disabled_service_raises_its_own_error() -> None:
    service = TemporalClientService(TemporalSettings(enabled=False))
    with pytest.raises(TemporalDisabledError, match="TEMPORAL_ENABLED=false"):
        await service.get_client()
    assert await service.health_check() is False


async def test_unreachable_server_raises_a_connection_error_naming_the_address() -> None:
    address = f"127.0.0.1:{free_port()}"
    service = TemporalClientService(TemporalSettings(url=address, connect_timeout=1))  # type: ignore[arg-type]
    with pytest.raises(TemporalUnavailableError, match=address):
        await service.get_client()


async def test_recovers_after_the_server_goes_down_and_comes_back() -> None:
    server = DevServerProcess()
    service = TemporalClientService(TemporalSettings(url=server.address, connect_timeout=2))  # type: ignore[arg-type]
    # First attempt while nothing listens: fails and is not cached.
    assert await service.health_check(timeout=1.0) is False
    async with server:
        assert await service.health_check() is True
        client = await service.get_client()
        await server.stop()
        assert await service.health_check(timeout=1.5) is False
        await server.start()
        # The same client object reconnects by itself once the server is back.
        for _ in range(50):
            if await service.health_check():
                break
            await asyncio.sleep(0.2)
        assert await service.health_check() is True
        assert await service.get_client() is client
