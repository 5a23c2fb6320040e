"""One cancellation over HTTP, however a workflow was cancelled.

A ``cancel`` signal makes a workflow undo its work and complete with a result whose ``status`` is
``cancelled``; a cancellation through Temporal itself (Web UI, CLI, ``handle.cancel()``) undoes the
work and ends the run cancelled. Either way the status endpoint says ``cancelled``. The result
endpoint answers 200 with the result after a signal, and 409 ``workflow-cancelled`` after a
Temporal cancel, since that run has no result.
"""

from __future__ import annotations

import uuid

import httpx

from tests.api.support import ApiStack, order, poll
from tests.api.test_orders import assert_problem


def _ended(response: httpx.Response) -> bool:
    return response.json()["status"] not in ("scheduled", "running")


async def _start_approval(http: httpx.AsyncClient) -> str:
    body = {"request_id": f"C-{uuid.uuid4().hex[:10]}", "approver_email": "lead@example.com"}
    started = await http.post("/approvals", json=body)
    assert started.status_code == 202, started.text
    workflow_id: str = started.json()["workflow_id"]
    # Waiting for a decision, so it runs until it is decided or cancelled.
    await poll(
        http,
        f"/approvals/{workflow_id}/status",
        until=lambda r: (r.json()["state"] or {}).get("step") == "waiting for decision",
    )
    return workflow_id


async def test_an_order_cancelled_through_temporal_reads_cancelled_and_has_no_result(
    stack: ApiStack,
) -> None:
    # Delayed, so the cancel reaches it before it could finish (an order takes milliseconds).
    body = order()
    started = await stack.http.post("/orders/scheduled", json=body, params={"delay_seconds": 2})
    assert started.status_code == 202, started.text
    workflow_id = started.json()["workflow_id"]
    await stack.temporal.get_workflow_handle(workflow_id).cancel()

    status = await poll(stack.http, f"/orders/{workflow_id}/status", until=_ended)
    assert status.json()["status"] == "cancelled", status.json()

    result = await stack.http.get(f"/orders/{workflow_id}/result")
    problem = assert_problem(result, 409, "workflow-cancelled")
    assert problem["workflow_status"] == "cancelled"
    assert problem["workflow_id"] == workflow_id
    assert problem["status_url"] == f"/orders/{workflow_id}/status"

    # Retrying the start finds the cancelled order; waiting on it reports how it ended.
    sync = await stack.http.post("/orders/sync", json=body)
    assert assert_problem(sync, 409, "workflow-cancelled")["workflow_id"] == workflow_id


async def test_an_approval_withdrawn_by_signal_answers_its_cancelled_result(
    http: httpx.AsyncClient,
) -> None:
    workflow_id = await _start_approval(http)

    cancel = await http.post(
        f"/approvals/{workflow_id}/cancel", json={"reason": "no longer needed"}
    )
    assert cancel.status_code == 202, cancel.text
    assert cancel.json()["signal"] == "cancel"
    assert cancel.json()["details"] == {"reason": "no longer needed"}

    result = await http.get(f"/approvals/{workflow_id}/result", params={"wait": 20})
    assert result.status_code == 200, result.text
    assert result.json()["status"] == "cancelled"
    assert result.json()["result"]["status"] == "cancelled"
    assert result.json()["result"]["comment"] == "no longer needed"

    status = await http.get(f"/approvals/{workflow_id}/status")
    assert (status.json()["status"], status.json()["state"]) == ("cancelled", None)

    late = await http.post(f"/approvals/{workflow_id}/approve", json={"comment": "late"})
    assert assert_problem(late, 409, "workflow-finished")["workflow_status"] == "cancelled"


async def test_an_approval_cancelled_through_temporal_reads_cancelled_and_has_no_result(
    stack: ApiStack,
) -> None:
    workflow_id = await _start_approval(stack.http)
    await stack.temporal.get_workflow_handle(workflow_id).cancel()

    status = await poll(stack.http, f"/approvals/{workflow_id}/status", until=_ended)
    assert status.json()["status"] == "cancelled", status.json()

    result = await stack.http.get(f"/approvals/{workflow_id}/result")
    assert assert_problem(result, 409, "workflow-cancelled")["workflow_status"] == "cancelled"
    late = await stack.http.post(f"/approvals/{workflow_id}/reject", json={"comment": "late"})
    assert assert_problem(late, 409, "workflow-finished")["workflow_status"] == "cancelled"


async def _start_long_report(http: httpx.AsyncClient) -> str:
    started = await http.post(
        "/reports/generate", json={"rows": 200_000, "chunk_size": 1000, "format": "csv"}
    )
    assert started.status_code == 202, started.text
    report_id: str = started.json()["report_id"]
    return report_id


async def test_a_report_cancelled_by_signal_reads_cancelled_and_has_nothing_to_download(
    stack: ApiStack,
) -> None:
    report_id = await _start_long_report(stack.http)
    cancel = await stack.http.post(f"/reports/{report_id}/cancel", json={"reason": "not needed"})
    assert cancel.status_code == 202, cancel.text
    assert cancel.json() == {
        "workflow_id": report_id,
        "signal": "cancel",
        "status": "signal_sent",
        "status_url": f"/reports/{report_id}/status",
        "details": {"reason": "not needed"},
    }

    done = await poll(stack.http, f"/reports/{report_id}/status", until=_ended)
    status = done.json()
    assert status["status"] == "cancelled", status
    assert status["result"]["status"] == "cancelled"
    assert status["result"]["file_name"] is None
    assert status["download_url"] is None
    # The worker undid its work: no part files, no report file.
    assert not (stack.reports_dir / ".parts" / report_id).exists()
    assert not (stack.reports_dir / f"{report_id}.csv").exists()

    download = await stack.http.get(f"/reports/{report_id}/download")
    problem = assert_problem(download, 409, "report-cancelled")
    assert "cancelled after" in problem["detail"]
    assert problem["workflow_status"] == "cancelled"

    again = await stack.http.post(f"/reports/{report_id}/cancel", json={"reason": "twice"})
    assert assert_problem(again, 409, "workflow-finished")["workflow_status"] == "cancelled"


async def test_a_report_cancelled_through_temporal_reads_cancelled_and_has_nothing_to_download(
    stack: ApiStack,
) -> None:
    report_id = await _start_long_report(stack.http)
    await stack.temporal.get_workflow_handle(report_id).cancel()

    done = await poll(stack.http, f"/reports/{report_id}/status", until=_ended)
    assert done.json()["status"] == "cancelled", done.json()
    assert done.json()["result"] is None

    download = await stack.http.get(f"/reports/{report_id}/download")
    problem = assert_problem(download, 409, "report-cancelled")
    assert "cancelled through Temporal" in problem["detail"]
    assert not (stack.reports_dir / f"{report_id}.csv").exists()
