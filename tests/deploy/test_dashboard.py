"""The Grafana dashboard asks only for metrics the services really export.

A real API (in-process uvicorn) and a real ``worker_orders`` process with ``--metrics-port`` run
against the dev server; one order completes and one fails (an out-of-stock line, so an activity
fails and the SDK counts it). Both ``/metrics`` endpoints are scraped, and every metric name in
every PromQL expression of the dashboard must be among the scraped samples (``X_bucket`` is
checked as itself: a histogram's buckets are samples of their own name).
"""

from __future__ import annotations

import json
import re
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api.main import create_app
from temporal_core.testing.dev_server import free_port
from temporalio.testing import WorkflowEnvironment

from tests.api.support import api_settings, caller_client, order, serve, temporal_settings_for
from tests.deploy.dockerfile import REPO
from tests.workers.worker_processes import PYTHON, ServeProcess, wait_for_health, worker_env

pytestmark = pytest.mark.timeout(180)

DASHBOARDS = sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))

# PromQL words that look like metric names but are not.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
_KEYWORDS |= {"and", "or", "unless", "inf", "nan"}
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values, e.g. "5xx"
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors, e.g. [$__rate_interval]
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables, e.g. $__interval
    names: set[str] = set()
    for match in _IDENTIFIER.finditer(text):
        word = match.group()
        is_function = text[match.end() :].lstrip().startswith("(")
        if not is_function and word.lower() not in _KEYWORDS:
            names.add(word)
    return names


def _panels(node: Any) -> Iterator[dict[str, Any]]:
    for panel in node.get("panels", []):
        yield panel
        yield from _panels(panel)  # rows nest their panels


def dashboard_expressions(path: Path) -> list[str]:
    """Every PromQL expression of the dashboard's panels."""
    dashboard = json.loads(path.read_text())
    return [
        target["expr"]
        for panel in _panels(dashboard)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def sample_names(exposition: str) -> set[str]:
    """Names of the samples in a Prometheus text-format scrape."""
    return {
        re.split(r"[{\s]", line, maxsplit=1)[0]
        for line in exposition.splitlines()
        if line and not line.startswith("#")
    }


def test_the_parser_finds_metric_names_and_nothing_else() -> None:
    expression = (
        "histogram_quantile(0.95, sum by (le, route) (rate(api_request_duration_seconds_bucket"
        '{status_class=~"5xx|4xx"}[$__rate_interval]))) / on(route) '
        "sum(rate(api_requests_total[5m])) and worker_draining == 1"
    )
    assert metric_names(expression) == {
        "api_request_duration_seconds_bucket",
        "api_requests_total",
        "worker_draining",
    }


def test_there_is_a_dashboard_with_queries() -> None:
    assert DASHBOARDS, "deploy/grafana/dashboards holds no dashboard"
    for path in DASHBOARDS:
        assert dashboard_expressions(path), f"{path.name} has no PromQL queries"


@pytest.mark.e2e
async def test_dashboard_queries_name_exported_metrics(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    client = temporal_env.client
    address = client.service_client.config.target_host
    health_port, metrics_port = free_port(), free_port()
    worker = ServeProcess(
        [
            PYTHON,
            "-m",
            "worker_orders",
            "--health-port",
            str(health_port),
            "--metrics-port",
            str(metrics_port),
        ],
        env=worker_env(address, tmp_path),
    )
    try:
        await wait_for_health(health_port, 200, worker)
        app = create_app(
            api_settings(reports_dir=tmp_path / "reports"),
            temporal_settings=temporal_settings_for(client),
        )
        async with serve(app) as base_url, caller_client(base_url, timeout=60) as http:
            done = await http.post("/orders/sync?wait=30", json=order())
            assert done.status_code == 200, done.text
            out_of_stock = order(items=[{"sku": f"SKU-{uuid.uuid4().hex[:6]}", "quantity": 1001}])
            failed = await http.post("/orders/sync?wait=30", json=out_of_stock)
            assert failed.status_code in (200, 409), failed.text
            missing = await http.get("/orders/no-such-order/status")
            assert missing.status_code == 404, missing.text
            api_scrape = await http.get("/metrics")
        async with httpx.AsyncClient(timeout=10) as http:
            worker_scrape = await http.get(f"http://127.0.0.1:{metrics_port}/metrics")
    finally:
        worker.send(signal.SIGTERM)
        await worker.wait_exit()
        worker.kill()
    assert api_scrape.status_code == 200
    assert api_scrape.headers["content-type"].startswith("text/plain")
    exported = sample_names(api_scrape.text) | sample_names(worker_scrape.text)
    print(sorted(exported))
    for path in DASHBOARDS:
        for expression in dashboard_expressions(path):
            unknown = metric_names(expression) - exported
            assert not unknown, f"{path.name}: {expression!r} names unexported {unknown}"
