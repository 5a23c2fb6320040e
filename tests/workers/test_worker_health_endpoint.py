"""The health endpoint over real HTTP: 200 or 503 from the check, 404 elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporal_core.testing.dev_server import free_port
from temporal_core.worker.health import HealthReport, HealthServer


class Switch:
    def __init__(self) -> None:
        self.healthy = True

    async def check(self) -> HealthReport:
        return HealthReport(self.healthy, {"status": "ok" if self.healthy else "unavailable"})


@pytest.fixture
async def served() -> AsyncIterator[tuple[Switch, str]]:
    switch = Switch()
    server = HealthServer(switch.check, host="127.0.0.1", port=free_port())
    await server.start()
    try:
        yield switch, f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def test_status_follows_the_check(served: tuple[Switch, str]) -> None:
    switch, base = served
    async with httpx.AsyncClient(base_url=base) as http:
        ok = await http.get("/health")
        switch.healthy = False
        down = await http.get("/health")
        missing = await http.get("/nope")
        wrong_method = await http.post("/health")

    assert (ok.status_code, ok.json()) == (200, {"status": "ok"})
    assert (down.status_code, down.json()) == (503, {"status": "unavailable"})
    assert ok.headers["content-type"] == "application/json"
    assert missing.status_code == 404
    assert wrong_method.status_code == 405
