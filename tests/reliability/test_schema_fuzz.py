"""Schemathesis over every route with every check: no 5xx and no answer the schema does not allow.

The API runs under a real uvicorn (as in tests/api/test_openapi.py) with real order and approval
workers on a dev server. Its document is as strict as the server: setting limits are written
into it (api.openapi_limits), the e-mail rules are a pattern, and the cross-field rules stated
in field descriptions are applied by tests/reliability/schema_rules.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.support import api_stack
from tests.auth_tokens import token
from tests.reliability.figures import Figures
from tests.workers.worker_processes import REPO

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(420)]

MIN_CASES = 1000
EXAMPLES_PER_OPERATION = 20
"""With the coverage phase this gives about 1,300 cases over the 21 operations."""


async def test_schemathesis_with_every_check_finds_nothing(
    temporal_env: WorkflowEnvironment, tmp_path: Path, figures: Figures
) -> None:
    report_path = tmp_path / "schemathesis.json"
    # No report worker: generated reports stay queued instead of writing files for minutes.
    async with api_stack(
        temporal_env.client,
        tmp_path,
        queues=("orders", "approvals"),
        default_wait_seconds=0.5,
        max_wait_seconds=2,
    ) as stack:
        command = [
            str(Path(sys.executable).parent / "st"),
            # One operation's settings (why: the file says).
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{stack.base_url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            # One worker: hypothesis' lambda introspection is not thread-safe on CPython 3.11.
            "--workers",
            "1",
            "--request-timeout",
            "20",
            "--seed",
            "1",
            # An ordinary caller's token, as a client of the API sends it.
            "--header",
            # A caller of its own: workflows an earlier test left on the session's server
            # (their workers gone) must not be this run's to act on.
            f"Authorization: Bearer {token(subject=f'fuzz-{uuid.uuid4().hex}')}",
            "--no-color",
            "--report",
            "json",
            "--report-json-path",
            str(report_path),
        ]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.reliability.schema_rules",
            "PYTHONPATH": str(REPO),
        }
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=380)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    text = output.decode(errors="replace")
    report = json.loads(report_path.read_text())
    failures = report["failures"]
    figures.requests = report["test_cases"]["generated"]
    figures.server_errors = sum(f["count"] for f in failures if f["type"] == "ServerError")
    figures.extra.update(
        seconds=time.monotonic() - started,
        operations=report["operations"]["tested"],
        failures={f["code"]: f["count"] for f in failures},
        errors=len(report["errors"]),
    )

    assert figures.requests >= MIN_CASES, text[-4000:]
    assert figures.server_errors == 0, text[-8000:]
    assert process.returncode == 0, text[-8000:]
