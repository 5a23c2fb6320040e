"""Schemathesis over every route with every check: no 5xx and no answer the schema does not allow.

The API runs under a real uvicorn (as in tests/api/test_openapi.py) with real order and approval
workers on a dev server. Its document is as strict as the server: setting limits are written
into it (api.openapi_limits), the e-mail rules are a pattern, and the cross-field rules stated
in field descriptions are applied by tests/reliability/schema_rules.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.support import api_stack
from tests.reliability.figures import Figures
from tests.schemathesis_run import run_schemathesis
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
        started = time.monotonic()
        returncode, text = await run_schemathesis(
            stack.base_url,
            tmp_path,
            checks="all",
            max_examples=EXAMPLES_PER_OPERATION,
            timeout=380,
            # One operation's settings (why: the file says).
            config_file=Path(__file__).with_name("schemathesis.toml"),
            extra_args=["--report", "json", "--report-json-path", str(report_path)],
            env={"SCHEMATHESIS_HOOKS": "tests.reliability.schema_rules", "PYTHONPATH": str(REPO)},
        )
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
    assert returncode == 0, text[-8000:]
