"""Report schedules over real HTTP: a Temporal Schedule really starts reports on the workers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.api.support import eventually, poll
from tests.api.test_orders import assert_problem

SMALL_REPORT = {"report_type": "sales", "rows": 20, "chunk_size": 10, "format": "csv"}


def new_schedule_id() -> str:
    return f"sched-{uuid.uuid4().hex[:10]}"


async def describe(http: httpx.AsyncClient, schedule_id: str) -> dict[str, Any]:
    response = await http.get(f"/reports/schedules/{schedule_id}")
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def runs_started(http: httpx.AsyncClient, schedule_id: str) -> int:
    count: int = (await describe(http, schedule_id))["runs_started"]
    return count


async def test_an_interval_schedule_generates_reports_until_paused_and_again_after(
    http: httpx.AsyncClient,
) -> None:
    schedule_id = new_schedule_id()
    created = await http.post(
        "/reports/schedules",
        json={"schedule_id": schedule_id, "interval_seconds": 1, "report": SMALL_REPORT},
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/reports/schedules/{schedule_id}"
    body = created.json()
    assert body["interval_seconds"] == 1
    assert body["paused"] is False
    assert body["workflow_id_prefix"] == f"scheduled-report-{schedule_id}"
    try:
        # Runs really start, carry the schedule's prefix and complete as ordinary reports.
        await eventually(lambda: _at_least(http, schedule_id, 2), timeout=20)
        runs = (await describe(http, schedule_id))["recent_runs"]
        for run in runs[:2]:
            assert run["workflow_id"].startswith(f"scheduled-report-{schedule_id}-")
            status = await poll(
                http, run["status_url"], until=lambda r: r.json()["status"] == "completed"
            )
            assert status.json()["result"]["rows"] == 20

        paused = await http.post(
            f"/reports/schedules/{schedule_id}/pause", json={"note": "quiet please"}
        )
        assert paused.status_code == 200, paused.text
        assert paused.json()["paused"] is True
        assert paused.json()["note"] == "quiet please"
        count = paused.json()["runs_started"]
        await asyncio.sleep(3)  # three intervals: none of them may start a report
        assert await runs_started(http, schedule_id) == count

        triggered = await http.post(f"/reports/schedules/{schedule_id}/trigger")
        assert triggered.status_code == 202, triggered.text
        assert triggered.json() == {
            "schedule_id": schedule_id,
            "status": "triggered",
            "schedule_url": f"/reports/schedules/{schedule_id}",
        }
        await eventually(lambda: _at_least(http, schedule_id, count + 1), timeout=10)

        resumed = await http.post(
            f"/reports/schedules/{schedule_id}/unpause", json={"note": "back on"}
        )
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["paused"] is False
        assert resumed.json()["note"] == "back on"
        await eventually(lambda: _at_least(http, schedule_id, count + 2), timeout=10)
    finally:
        deleted = await http.delete(f"/reports/schedules/{schedule_id}")
    assert deleted.status_code == 204
    missing = await http.get(f"/reports/schedules/{schedule_id}")
    assert assert_problem(missing, 404, "schedule-not-found")["schedule_id"] == schedule_id
    deleted_again = await http.delete(f"/reports/schedules/{schedule_id}")
    assert_problem(deleted_again, 404, "schedule-not-found")


async def _at_least(http: httpx.AsyncClient, schedule_id: str, count: int) -> bool:
    return await runs_started(http, schedule_id) >= count


async def test_a_cron_schedule_is_described_and_listed_as_created(
    http: httpx.AsyncClient,
) -> None:
    schedule_id = new_schedule_id()
    created = await http.post(
        "/reports/schedules",
        json={
            "schedule_id": schedule_id,
            "cron_expression": "30 6 * * MON-FRI",
            "time_zone": "Europe/Paris",
            "overlap_policy": "buffer_one",
            "paused": True,
            "note": "starts after the migration",
            "report": {"report_type": "stock", "rows": 500, "chunk_size": 50, "format": "json"},
        },
    )
    assert created.status_code == 201, created.text
    try:
        described = await describe(http, schedule_id)
        assert described["cron_expression"] == "30 6 * * MON-FRI"
        assert described["interval_seconds"] is None
        assert described["time_zone"] == "Europe/Paris"
        assert described["overlap_policy"] == "buffer_one"
        assert described["paused"] is True
        assert described["note"] == "starts after the migration"
        assert described["report"] == {
            "report_type": "stock",
            "rows": 500,
            "chunk_size": 50,
            "format": "json",
        }
        assert described["runs_started"] == 0
        assert described["recent_runs"] == []
        for next_time in described["next_run_times"]:
            local = datetime.fromisoformat(next_time).astimezone(ZoneInfo("Europe/Paris"))
            assert (local.hour, local.minute) == (6, 30)
            assert local.weekday() < 5

        async def listed() -> bool:
            schedules = (await http.get("/reports/schedules")).json()["schedules"]
            return any(
                item["schedule_id"] == schedule_id
                and item["cron_expression"] == "30 6 * * MON-FRI"
                and item["paused"] is True
                for item in schedules
            )

        await eventually(listed, timeout=15)
    finally:
        assert (await http.delete(f"/reports/schedules/{schedule_id}")).status_code == 204


async def test_a_taken_schedule_id_is_409(http: httpx.AsyncClient) -> None:
    schedule_id = new_schedule_id()
    body = {"schedule_id": schedule_id, "cron_expression": "@daily", "paused": True}
    assert (await http.post("/reports/schedules", json=body)).status_code == 201
    try:
        again = await http.post("/reports/schedules", json=body)
        assert assert_problem(again, 409, "schedule-already-exists")["schedule_id"] == schedule_id
    finally:
        await http.delete(f"/reports/schedules/{schedule_id}")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cron_expression": "61 * * * *"}, "body.cron_expression"),
        ({"cron_expression": "not a cron"}, "body.cron_expression"),
        ({"cron_expression": "0 3 * * *; rm"}, "body.cron_expression"),
        ({"interval_seconds": 0}, "body.interval_seconds"),
        ({"interval_seconds": 10**9}, "body.interval_seconds"),
        ({"cron_expression": "@daily", "time_zone": "Mars/Olympus"}, "body.time_zone"),
        ({"cron_expression": "@daily", "time_zone": "../etc/passwd"}, "body.time_zone"),
        ({"cron_expression": "@daily", "interval_seconds": 60}, "body"),
        ({}, "body"),
        ({"cron_expression": "@daily", "schedule_id": "has space"}, "body.schedule_id"),
        ({"cron_expression": "@daily", "overlap_policy": "sometimes"}, "body.overlap_policy"),
    ],
)
async def test_invalid_schedules_are_422_naming_the_field(
    http: httpx.AsyncClient, overrides: dict[str, object], field: str
) -> None:
    body: dict[str, object] = {"schedule_id": new_schedule_id(), **overrides}
    response = await http.post("/reports/schedules", json=body)
    problem = assert_problem(response, 422, "validation")
    assert field in [error["field"] for error in problem["errors"]], problem
    if field == "body":
        assert "exactly one of cron_expression or interval_seconds" in problem["detail"]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", ""), ("DELETE", ""), ("POST", "/pause"), ("POST", "/unpause"), ("POST", "/trigger")],
)
async def test_an_unknown_schedule_is_404(
    http: httpx.AsyncClient, method: str, suffix: str
) -> None:
    response = await http.request(method, f"/reports/schedules/never-created{suffix}")
    assert assert_problem(response, 404, "schedule-not-found")["schedule_id"] == "never-created"
