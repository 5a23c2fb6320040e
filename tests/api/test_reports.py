"""Reports over HTTP: generate, follow progress, download the file."""

from __future__ import annotations

import csv
import io
import json
import uuid

import httpx
from contracts.reports import REPORT, ReportConfig

from tests.api.support import ApiStack, owned_by, poll
from tests.api.test_orders import assert_problem


async def test_generate_poll_and_download_csv(stack: ApiStack) -> None:
    http = stack.http
    response = await http.post(
        "/reports/generate", json={"rows": 50, "chunk_size": 10, "format": "csv"}
    )
    assert response.status_code == 202, response.text
    started = response.json()
    report_id = started["report_id"]
    assert report_id.startswith("report-")
    assert started["status_url"] == f"/reports/{report_id}/status"
    assert started["status"] == "generating"

    done = await poll(http, started["status_url"], until=lambda r: r.json()["status"] != "running")
    status = done.json()
    assert status["status"] == "completed", status
    assert status["progress"] == 100
    assert status["result"]["rows"] == 50
    assert status["download_url"] == started["download_url"]

    download = await http.get(started["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert f"{report_id}.csv" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert len(rows) == 51  # header + 50 rows
    assert download.content == (stack.reports_dir / f"{report_id}.csv").read_bytes()


async def test_json_report_and_idempotency_key(stack: ApiStack) -> None:
    http = stack.http
    key = f"nightly-{uuid.uuid4().hex[:8]}"
    body = {"rows": 20, "chunk_size": 5, "format": "json"}
    first = await http.post("/reports/generate", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 202, first.text
    report_id = first.json()["report_id"]
    # The key is the caller's own: the id holds a tag of the caller before it.
    assert report_id.startswith("report-")
    assert report_id.endswith(f"-{key}")

    second = await http.post("/reports/generate", json=body, headers={"Idempotency-Key": key})
    # The key's report, still generating or finished already; never a new one.
    assert second.status_code == 200, second.text
    assert second.json()["started"] is False
    assert second.json()["report_id"] == report_id

    await poll(http, first.json()["status_url"], until=lambda r: r.json()["status"] == "completed")
    download = await http.get(first.json()["download_url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert len(json.loads(download.content)) == 20 or "rows" in download.text

    count = await stack.temporal.count_workflows(f"WorkflowId = '{report_id}'")
    assert count.count == 1

    finished = await http.post("/reports/generate", json=body, headers={"Idempotency-Key": key})
    assert finished.status_code == 200, finished.text
    assert (finished.json()["status"], finished.json()["workflow_status"]) == (
        "finished",
        "completed",
    )


async def test_report_not_ready_failed_and_missing(stack: ApiStack) -> None:
    http = stack.http
    # No worker polls this queue, so the report stays "generating" for as long as we like.
    report_id = f"report-{uuid.uuid4().hex[:10]}"
    await REPORT.start(
        stack.temporal,
        ReportConfig(rows=10),
        id=report_id,
        task_queue=f"nobody-{uuid.uuid4().hex[:8]}",
        search_attributes=owned_by(),
    )
    not_ready = await http.get(f"/reports/{report_id}/download")
    problem = assert_problem(not_ready, 409, "report-not-ready")
    assert problem["status_url"] == f"/reports/{report_id}/status"
    assert not_ready.headers["retry-after"]

    await stack.temporal.get_workflow_handle(report_id).terminate("disk full")
    status = await http.get(f"/reports/{report_id}/status")
    assert status.status_code == 200
    assert status.json()["status"] == "terminated"
    failed = await http.get(f"/reports/{report_id}/download")
    assert assert_problem(failed, 409, "workflow-unsuccessful")["workflow_status"] == "terminated"

    made = await http.post("/reports/generate", json={"rows": 5, "chunk_size": 5})
    made_id = made.json()["report_id"]
    await poll(http, made.json()["status_url"], until=lambda r: r.json()["status"] == "completed")
    (stack.reports_dir / f"{made_id}.csv").unlink()
    assert_problem(await http.get(f"/reports/{made_id}/download"), 404, "report-file-missing")

    assert_problem(await http.get("/reports/report-nope/status"), 404, "workflow-not-found")
    assert_problem(await http.get("/reports/report-nope/download"), 404, "workflow-not-found")


async def test_report_limits(http: httpx.AsyncClient) -> None:
    for body, field in (
        ({"rows": 0}, "body.rows"),
        ({"rows": 10**7}, "body.rows"),
        ({"format": "xlsx"}, "body.format"),
        ({"report_type": "../x"}, "body.report_type"),
        ({"rows": 1_000_000, "chunk_size": 1}, "body"),
    ):
        response = await http.post("/reports/generate", json=body)
        problem = assert_problem(response, 422, "validation")
        assert problem["errors"][0]["field"] == field


async def test_cancel_report_errors(stack: ApiStack) -> None:
    http = stack.http
    missing = await http.post("/reports/report-nope/cancel", json={"reason": "x"})
    assert_problem(missing, 404, "workflow-not-found")
    no_reason = await http.post("/reports/report-nope/cancel", json={})
    assert assert_problem(no_reason, 422, "validation")["errors"][0]["field"] == "body.reason"
