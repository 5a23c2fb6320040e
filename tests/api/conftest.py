"""API fixtures: one served app with real workers on fresh task queues, for the session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.support import ApiStack, api_stack


@pytest.fixture(scope="session")
async def stack(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[ApiStack]:
    """The real app under uvicorn, talking to the session's dev server and real workers."""
    async with api_stack(temporal_env.client, tmp_path_factory.mktemp("api")) as served:
        yield served


@pytest.fixture
def http(stack: ApiStack) -> httpx.AsyncClient:
    """An HTTP client for the served app."""
    return stack.http
