"""Readiness probes: each part of the stack counts as up when its own health check says so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import httpx
from temporalio.client import Client

__all__ = ["NotReadyError", "http_ok", "temporal_healthy", "wait_until"]

_POLL_INTERVAL = 0.2
_PROBE_TIMEOUT = 2.0


class NotReadyError(Exception):
    """A part did not become ready in time; the message says which and what was checked."""


async def http_ok(url: str, *, any_status: bool = False) -> bool:
    """True when ``url`` answers 200 (or anything at all, with ``any_status``)."""
    try:
        async with httpx.AsyncClient(timeout=_PROBE_TIMEOUT) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        return False
    return any_status or response.status_code == 200


async def temporal_healthy(address: str, namespace: str) -> bool:
    """True when the Temporal frontend at ``address`` answers its gRPC health check."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_PROBE_TIMEOUT * 2):
            client = await Client.connect(address, namespace=namespace)
            return await client.service_client.check_health()
    return False


async def wait_until(
    probe: Callable[[], Awaitable[bool]],
    *,
    timeout: float,
    what: str,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Poll ``probe`` until it is true; stop early when ``alive()`` turns false.

    Raises:
        NotReadyError: ``timeout`` seconds passed first.
        ChildProcessError: the process behind the probe ended (``alive()`` returned false).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if not alive():
            raise ChildProcessError(what)
        if await probe():
            return
        if loop.time() > deadline:
            raise NotReadyError(f"{what} was not ready after {timeout:g}s")
        await asyncio.sleep(_POLL_INTERVAL)
