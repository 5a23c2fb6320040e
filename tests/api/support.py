"""Helpers for API tests: the real app under a real uvicorn server, plus its workers.

The app is routed to per-test task queues by overriding its ``WorkflowCalls`` dependency, and
real workers (found through their entry points) poll those queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from api.auth.principal import Principal
from api.deps import ApiSettingsDep, TemporalClientDep, get_schedule_calls, get_workflow_calls
from api.main import create_app
from api.routes.orders import order_workflow_id
from api.schedule_calls import ScheduleCalls
from api.settings import ApiSettings
from api.workflow_calls import WorkflowCalls
from contracts.search_attributes import OWNER
from fastapi import FastAPI
from temporal_core import TemporalSettings, build_worker, registry
from temporal_core.testing.dev_server import free_port
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.worker import Worker

from tests.auth_tokens import KEY_SET_JSON, bearer

QUEUES = ("orders", "approvals", "reports")


@dataclass
class ApiStack:
    """A served app, the HTTP client that talks to it, and the Temporal client behind it."""

    app: FastAPI
    base_url: str
    http: httpx.AsyncClient
    temporal: Client
    task_queues: dict[str, str]
    reports_dir: Path


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncGenerator[str]:
    """Run ``app`` (lifespan included) under uvicorn on a free loopback port until exit."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="on", log_config=None, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn exited before it started")
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Generator[None]:
    """Set environment variables for the duration (workers read some at call time)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def api_settings(**values: Any) -> ApiSettings:
    """``ApiSettings`` trusting the tests' key set, as a deployment sets ``API_AUTH_KEYS``."""
    values.setdefault("auth_keys", KEY_SET_JSON)
    return ApiSettings(**values)


def caller_client(base_url: str, *, timeout: float = 30, **caller: Any) -> httpx.AsyncClient:
    """An HTTP client for ``base_url`` that sends a caller's token (``bearer(**caller)``)."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, headers=bearer(**caller))


def temporal_settings_for(client: Client, **values: Any) -> TemporalSettings:
    """Settings that point the API at the same server as ``client``."""
    return TemporalSettings(url=client.service_client.config.target_host, **values)


@contextlib.asynccontextmanager
async def api_stack(
    client: Client, data_dir: Path, *, queues: tuple[str, ...] = QUEUES, **settings: Any
) -> AsyncGenerator[ApiStack]:
    """Workers for ``queues`` on fresh task queues, and the app routed to them, over HTTP."""
    suffix = uuid.uuid4().hex[:10]
    task_queues = {queue: f"{queue}-{suffix}" for queue in QUEUES}
    reports_dir = data_dir / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)
    # Every stack's client is the same caller on the session's one server, and reports an
    # earlier stack left generating stay "running" there once its workers are gone; so the
    # per-caller cap is off unless a test sets it (tests/api/test_abuse_limits.py does).
    settings.setdefault("max_running_reports_per_caller", 0)
    app = create_app(
        api_settings(reports_dir=reports_dir, **settings),
        temporal_settings=temporal_settings_for(client),
    )
    route_to_task_queues(app, task_queues)
    env = {
        "REPORTS_DIR": str(reports_dir),
        "SIDE_EFFECTS_DB": str(data_dir / "side_effects.sqlite3"),
    }
    # The API imports no worker, so the workers this stack runs are loaded here, the way the
    # worker command line finds them: through their installed entry points.
    registry.discover()
    with environment(env):
        async with contextlib.AsyncExitStack() as stack:
            for queue in queues:
                worker: Worker = build_worker(client, queue, task_queue=task_queues[queue])
                await stack.enter_async_context(worker)
            base_url = await stack.enter_async_context(serve(app))
            # The stack's client is one ordinary caller (every scope but admin).
            http = await stack.enter_async_context(caller_client(base_url, timeout=60))
            yield ApiStack(app, base_url, http, client, task_queues, reports_dir)


def route_to_task_queues(app: FastAPI, task_queues: Mapping[str, str]) -> None:
    """Make ``app`` start workflows on ``task_queues`` (contract queue -> Temporal task queue).

    The way FastAPI apps swap collaborators in tests: override the dependency that builds them.
    """

    def routed_calls(client: TemporalClientDep, settings: ApiSettingsDep) -> WorkflowCalls:
        return WorkflowCalls(client, settings, task_queues=task_queues)

    app.dependency_overrides[get_workflow_calls] = routed_calls

    def routed_schedules(client: TemporalClientDep, settings: ApiSettingsDep) -> ScheduleCalls:
        return ScheduleCalls(client, settings, task_queues=task_queues)

    # Schedules start their runs on the server, so the queue goes into the schedule's action.
    app.dependency_overrides[get_schedule_calls] = routed_schedules


def order_id_for(order_id: str, subject: str = "test-user") -> str:
    """The workflow id the API gives ``subject``'s order ``order_id``."""
    return order_workflow_id(Principal(subject=subject, scopes=frozenset()), order_id)


def owned_by(subject: str = "test-user") -> TypedSearchAttributes:
    """The search attributes of a workflow the API started for ``subject``.

    For tests that start a workflow through Temporal directly (to keep it from running) and
    then read it over HTTP as that caller.
    """
    return TypedSearchAttributes([SearchAttributePair(OWNER, subject)])


def order(**overrides: Any) -> dict[str, Any]:
    """A valid order body with a fresh id; ``overrides`` replace or add fields."""
    body: dict[str, Any] = {
        "order_id": f"T-{uuid.uuid4().hex[:12]}",
        "customer_email": "ada@example.com",
        "amount": 42.5,
        "items": [{"sku": "BOOK-1", "quantity": 1}],
    }
    body.update(overrides)
    return body


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0) -> None:
    """Wait until ``check()`` is true (for eventually consistent things like visibility)."""
    async with asyncio.timeout(timeout):
        while True:
            if await check():
                return
            await asyncio.sleep(0.2)


async def poll(
    http: httpx.AsyncClient,
    url: str,
    *,
    until: Callable[[httpx.Response], bool],
    timeout: float = 30.0,
    interval: float = 0.1,
) -> httpx.Response:
    """GET ``url`` until ``until(response)`` holds; fail with the last response after timeout."""
    async with asyncio.timeout(timeout):
        while True:
            response = await http.get(url)
            if until(response):
                return response
            await asyncio.sleep(interval)
