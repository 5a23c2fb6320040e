"""Abuse limits over real HTTP: start rate, running reports, report quota and retention.

Each test runs its own app with the limit turned down (and, for the worker's limits, the report
worker built with its ``REPORTS_*`` variables), so the limits are met in a few requests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.support import api_stack, caller_client, environment, eventually, order, poll
from tests.api.test_orders import assert_problem
from tests.auth_tokens import bearer

OTHER = bearer("another-caller")


def _finished(response: httpx.Response) -> bool:
    return response.json()["status"] not in ("running", "scheduled")


async def test_starts_over_the_rate_answer_429_with_retry_after(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # No workers: the orders only need to start.
    async with api_stack(
        temporal_env.client, tmp_path, queues=(), start_rate_per_minute=6, start_burst=2
    ) as stack:
        http = stack.http
        for _ in range(2):
            assert (await http.post("/orders", json=order())).status_code == 202
        refused = await http.post("/orders", json=order())
        problem = assert_problem(refused, 429, "too-many-starts")
        # One start comes back every 10 s at 6 a minute.
        assert 1 <= int(refused.headers["retry-after"]) <= 10, refused.headers
        assert "retry after" in problem["detail"]

        # A batch spends one start per order; reports share the same allowance.
        assert_problem(await http.post("/orders/batch", json=[order()]), 429, "too-many-starts")
        assert_problem(await http.post("/reports/generate", json={}), 429, "too-many-starts")

        # The limit is per caller: another one starts at once.
        assert (await http.post("/orders", json=order(), headers=OTHER)).status_code == 202


async def test_a_caller_may_have_only_so_many_reports_generating(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # No report worker: reports stay generating for as long as the test needs.
    async with (
        api_stack(
            temporal_env.client, tmp_path, queues=(), max_running_reports_per_caller=2
        ) as stack,
        caller_client(stack.base_url, subject=f"cap-{uuid.uuid4().hex}") as http,
    ):
        # A caller of its own: the session's server may still hold reports other tests left
        # generating under the stack's usual caller.
        for _ in range(2):
            assert (await http.post("/reports/generate", json={})).status_code == 202

        async def refused() -> bool:
            # Visibility counts the new reports within moments, not at once.
            answer = await http.post("/reports/generate", json={})
            if answer.status_code == 202:
                await stack.temporal.get_workflow_handle(answer.json()["report_id"]).terminate()
            return answer.status_code == 429

        await eventually(refused, timeout=15)
        problem = assert_problem(
            await http.post("/reports/generate", json={}), 429, "too-many-running-reports"
        )
        assert "at most 2" in problem["detail"]
        assert (await http.post("/reports/generate", json={}, headers=OTHER)).status_code == 202


@pytest.mark.parametrize(
    ("limits", "rows"),
    [({"REPORTS_MAX_ROWS": "100"}, 101), ({"REPORTS_MAX_BYTES": "2000"}, 200)],
    ids=["rows", "bytes"],
)
async def test_a_report_over_the_quota_fails_with_a_stable_code(
    temporal_env: WorkflowEnvironment, tmp_path: Path, limits: dict[str, str], rows: int
) -> None:
    with environment(limits):
        async with api_stack(temporal_env.client, tmp_path, queues=("reports",)) as stack:
            http = stack.http
            started = await http.post("/reports/generate", json={"rows": rows, "chunk_size": 50})
            assert started.status_code == 202, started.text
            report_id = started.json()["report_id"]

            status = await poll(http, started.json()["status_url"], until=_finished)
            assert status.json()["status"] == "failed", status.json()
            assert status.json()["failure"]["code"] == "report-too-large"

            download = await http.get(started.json()["download_url"])
            problem = assert_problem(download, 409, "report-too-large")
            assert problem["workflow_status"] == "failed"
            # The worker's own message ("... has 101 rows, more than the 100 allowed") stays in
            # Temporal; the client gets the API's sentence.
            assert "more than the" not in download.text
            assert "more than the" not in status.text
            assert not list(stack.reports_dir.glob(f"{report_id}.*"))


async def test_a_report_file_is_deleted_after_its_retention_and_answers_410(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    retention = {"REPORTS_RETENTION_SECONDS": "3", "REPORTS_SWEEP_INTERVAL_SECONDS": "0.2"}
    with environment(retention):
        async with api_stack(temporal_env.client, tmp_path, queues=("reports",)) as stack:
            http = stack.http
            started = await http.post("/reports/generate", json={"rows": 10, "chunk_size": 10})
            assert started.status_code == 202, started.text
            done = await poll(http, started.json()["status_url"], until=_finished)
            expires_at = datetime.fromisoformat(done.json()["result"]["expires_at"])
            assert expires_at > datetime.now(UTC)
            assert (await http.get(started.json()["download_url"])).status_code == 200

            gone = await poll(
                http,
                started.json()["download_url"],
                until=lambda response: response.status_code != 200,
                timeout=20,
                interval=0.3,
            )
            problem = assert_problem(gone, 410, "report-expired")
            assert problem["workflow_id"] == started.json()["report_id"]
            assert not list(stack.reports_dir.glob(f"{started.json()['report_id']}.*"))


async def test_a_failed_workflow_s_own_message_never_reaches_the_client(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    # An order with nothing to run it, terminated with a reason that stands for any raw text.
    async with api_stack(temporal_env.client, tmp_path, queues=()) as stack:
        started = await stack.http.post("/orders", json=order())
        secret = f"internal detail {uuid.uuid4().hex}"
        handle = stack.temporal.get_workflow_handle(started.json()["workflow_id"])
        await handle.terminate(secret)
        result = await stack.http.get(started.json()["result_url"])
        problem = assert_problem(result, 409, "workflow-unsuccessful")
        assert secret not in result.text
        assert problem["workflow_status"] == "terminated"
