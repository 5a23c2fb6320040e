"""``GET /metrics``: requests counted by route template and status class, in every process.

Temporal is switched off here, so a status request is a 503 without a server to start; the
Temporal call timings are exercised against a real server by tests/deploy/test_dashboard.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid

import httpx
from api.main import create_app
from prometheus_client.parser import text_string_to_metric_families
from temporal_core import TemporalSettings
from temporal_core.testing.dev_server import free_port

from tests.api.support import api_settings, caller_client, serve
from tests.auth_tokens import AUTH_ENV
from tests.workers.worker_processes import PYTHON, ServeProcess


def requests_by_labels(exposition: str) -> dict[tuple[str, str, str], float]:
    """``api_requests_total`` samples keyed by (route, method, status_class)."""
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "api_requests_total":
                labels = sample.labels
                key = (labels["route"], labels["method"], labels["status_class"])
                found[key] = found.get(key, 0) + sample.value
    return found


async def test_requests_are_counted_by_route_template_never_by_id() -> None:
    app = create_app(api_settings(), temporal_settings=TemporalSettings(enabled=False))
    workflow_id = f"order-{uuid.uuid4().hex}"
    async with serve(app) as url, caller_client(url, timeout=10) as http:
        before = requests_by_labels((await http.get("/metrics")).text)
        assert (await http.get(f"/orders/{workflow_id}/status")).status_code == 503
        assert (await http.get(f"/no-such-path/{workflow_id}")).status_code == 404
        assert (await http.get("/health/live")).status_code == 200
        scrape = await http.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    assert workflow_id not in scrape.text
    after = requests_by_labels(scrape.text)

    def added(key: tuple[str, str, str]) -> float:
        return after.get(key, 0) - before.get(key, 0)

    assert added(("/orders/{workflow_id}/status", "GET", "5xx")) == 1
    assert added(("unmatched", "GET", "4xx")) == 1
    assert added(("/health/live", "GET", "2xx")) == 1
    assert "api_request_duration_seconds_bucket" in scrape.text


async def test_several_worker_processes_report_their_sum() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(TEMPORAL_ENABLED="false", PYTHONUNBUFFERED="1", **AUTH_ENV)
    api = ServeProcess([PYTHON, "-m", "api", "--workers", "2", "--port", str(port)], env=env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            async with asyncio.timeout(60):
                while True:
                    try:
                        if (await http.get("/health/live")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.2)
            # New connections, so both processes answer some of them.
            for _ in range(40):
                async with httpx.AsyncClient(base_url=http.base_url, timeout=10) as fresh:
                    assert (await fresh.get("/health/live")).status_code == 200
            key = ("/health/live", "GET", "2xx")
            counts = {requests_by_labels((await http.get("/metrics")).text)[key] for _ in range(6)}
    finally:
        api.send(signal.SIGTERM)
        await api.wait_exit()
        api.kill()
    # Every scrape, whichever process answers it, sees all 41 (or more) successful probes.
    assert min(counts) >= 41, (counts, api.output)
