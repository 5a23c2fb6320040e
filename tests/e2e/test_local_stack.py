"""The README's `uv run dev`, driven over HTTP as a person would, then stopped with Ctrl-C.

One stack serves the whole module (starting it is the slow part); the last test stops it and
checks that no process it started is left.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from temporal_core.testing.dev_server import bundled_binary

from tests.e2e.conftest import RunningStack, running_stack, stack_environment
from tests.e2e.stack_process import alive, children_of

pytestmark = pytest.mark.e2e

# Slow enough that a report's progress can be watched between 0 and 100, fast enough to finish
# in a couple of seconds: 400 rows at 5 ms.
ROW_DELAY_SECONDS = "0.005"
RESULT_WAIT = 60.0
CANCEL_START_DELAY = 3


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    env = stack_environment(REPORTS_ROW_DELAY_SECONDS=ROW_DELAY_SECONDS)
    with running_stack(tmp_path_factory.mktemp("stack-data"), env=env, ui=True) as running:
        yield running


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Iterator[httpx.Client]:
    with stack.client() as client:
        yield client


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def order_body(order_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_email": "ada@example.com",
        "amount": 42.5,
        "items": [{"sku": "book-1", "quantity": 1}],
    }
    return body | changes


def result_of(api: httpx.Client, result_url: str) -> dict[str, Any]:
    """Poll a result endpoint (each call waits server-side) until the workflow has finished."""
    deadline = time.monotonic() + RESULT_WAIT
    while True:
        response = api.get(result_url, params={"wait": 10})
        if response.status_code != 202:
            assert response.status_code == 200, response.text
            return response.json()
        assert time.monotonic() < deadline, f"{result_url} still running: {response.text}"


def test_ready_message_points_to_docs_ui_health_and_a_curl(
    stack: RunningStack, api: httpx.Client
) -> None:
    output = stack.process.output
    ports = stack.ports
    assert f"http://127.0.0.1:{ports.api}/docs" in output
    assert f"http://127.0.0.1:{ports.ui}/namespaces/default/workflows" in output
    assert f"http://127.0.0.1:{ports.api}/health" in output
    assert f"curl -s -X POST http://127.0.0.1:{ports.api}/orders" in output
    assert "Authorization: Bearer $TOKEN" in output
    for variable in ("TOKEN", "LEAD_TOKEN", "ADMIN_TOKEN"):
        assert f"export {variable}=ey" in output
    keys = stack.data_dir / "auth-keys.json"
    assert keys.stat().st_mode & 0o777 == 0o600
    assert api.get("/docs").status_code == 200
    assert api.get("/health").status_code == 200
    # Authentication is on: without a token the API answers 401.
    assert httpx.get(f"http://127.0.0.1:{ports.api}/orders/order-x/status").status_code == 401
    assert httpx.get(f"http://127.0.0.1:{ports.ui}/", timeout=10).status_code == 200
    for port in (ports.orders_health, ports.approvals_health, ports.reports_health):
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200


def test_order_runs_from_start_to_result(api: httpx.Client) -> None:
    order_id = unique("order")
    started = api.post("/orders", json=order_body(order_id))
    assert started.status_code == 202, started.text
    body = started.json()
    # The caller's own order: the workflow id holds the caller's owner tag before the order id.
    assert re.fullmatch(rf"order-[0-9a-f]{{12}}-{order_id}", body["workflow_id"]), body
    assert body["started"] is True

    outcome = result_of(api, body["result_url"])

    assert outcome["result"]["order_id"] == order_id
    assert outcome["result"]["status"] == "completed"
    status = api.get(body["status_url"]).json()
    assert status["status"] == "completed"


def test_payloads_are_encrypted_and_the_codec_server_decodes_them(
    stack: RunningStack, api: httpx.Client
) -> None:
    """Temporal stores ciphertext; the CLI and the Web UI decode through the codec server."""
    email = f"{unique('ada')}@example.com"
    started = api.post("/orders", json=order_body(unique("secret"), customer_email=email))
    assert started.status_code == 202, started.text
    result_of(api, started.json()["result_url"])
    ports, workflow_id = stack.ports, started.json()["workflow_id"]

    keys, token_file = stack.data_dir / "codec-keys", stack.data_dir / "codec-token"
    assert keys.stat().st_mode & 0o077 == 0, "the key file is readable by others"
    assert "Codec server" in stack.process.output
    token = token_file.read_text().strip()
    show = [
        str(bundled_binary("temporal")),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        f"127.0.0.1:{ports.temporal}",
        "--detailed",
    ]
    plain = subprocess.run(show, capture_output=True, text=True, timeout=60, check=True)
    assert email not in plain.stdout
    decoded = subprocess.run(
        [
            *show,
            "--codec-endpoint",
            f"http://127.0.0.1:{ports.codec}",
            "--codec-auth",
            f"Bearer {token}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert email in decoded.stdout

    # The Web UI was told where the codec server is, and the browser may call it from the UI.
    ui = f"http://127.0.0.1:{ports.ui}"
    settings = httpx.get(f"{ui}/api/v1/settings", timeout=10).json()
    endpoint = settings["Codec"]["Endpoint"]
    assert endpoint == f"http://127.0.0.1:{ports.codec}/{token}"
    preflight = httpx.options(
        f"{endpoint}/decode",
        headers={
            "Origin": ui,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
        timeout=10,
    )
    assert preflight.headers.get("access-control-allow-origin") == ui


def test_duplicate_start_runs_the_order_once(api: httpx.Client) -> None:
    order_id = unique("dup")
    first = api.post("/orders", json=order_body(order_id))
    assert first.status_code == 202, first.text
    again_while_running = api.post("/orders", json=order_body(order_id))
    # The same order, still running or already finished; nothing new started either way.
    assert again_while_running.status_code == 200, again_while_running.text
    assert again_while_running.json()["started"] is False
    result_of(api, first.json()["result_url"])

    again_after = api.post("/orders", json=order_body(order_id))

    assert again_after.status_code == 200, again_after.text
    assert again_after.json()["workflow_id"] == first.json()["workflow_id"]
    assert again_after.json()["status"] == "already_finished"


def test_cancelled_order_ends_cancelled(api: httpx.Client) -> None:
    # A short delayed start holds the order before its first step, so the cancel request is
    # already in the workflow's history when it begins: it is compensated, never charged.
    order_id = unique("cancel")
    started = api.post(
        "/orders/scheduled", params={"delay_seconds": CANCEL_START_DELAY}, json=order_body(order_id)
    )
    assert started.status_code == 202, started.text
    workflow_id = started.json()["workflow_id"]

    cancel = api.post(f"/orders/{workflow_id}/cancel", json={"reason": "changed my mind"})

    assert cancel.status_code == 202, cancel.text
    outcome = result_of(api, started.json()["result_url"])
    assert outcome["result"]["status"] == "cancelled", outcome
    # A run a cancel signal stopped reads "cancelled", like one cancelled through Temporal.
    state = api.get(f"/orders/{workflow_id}/status").json()
    assert state["status"] == "cancelled", state


def test_approval_is_started_approved_and_completed(api: httpx.Client, stack: RunningStack) -> None:
    request_id = unique("pr")
    started = api.post(
        "/approvals",
        json={"request_id": request_id, "approver_email": "lead@example.com", "subject": "Refund"},
    )
    assert started.status_code == 202, started.text
    workflow_id = started.json()["workflow_id"]
    pending = api.get(f"/approvals/{workflow_id}/result", params={"wait": 0})
    assert pending.status_code == 202, pending.text

    # The approver decides with its own token (the one the stack printed for lead).
    with stack.client("LEAD_TOKEN") as lead:
        approved = lead.post(f"/approvals/{workflow_id}/approve", json={"comment": "fine"})

    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"]["outcome"] == "approved"
    outcome = result_of(api, started.json()["result_url"])
    assert outcome["result"]["status"] == "approved"
    assert outcome["result"]["decided_by"] == "lead@example.com"


def test_report_progress_is_observed_and_the_file_downloaded(api: httpx.Client) -> None:
    started = api.post("/reports/generate", json={"rows": 400, "chunk_size": 50, "format": "csv"})
    assert started.status_code == 202, started.text
    body = started.json()
    report_id = body["report_id"]
    assert body["status_url"] == f"/reports/{report_id}/status"

    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + RESULT_WAIT
    while not seen or seen[-1][0] != "completed":
        assert time.monotonic() < deadline, f"report never completed: {seen}"
        status = api.get(body["status_url"])
        assert status.status_code == 200, status.text
        seen.append((status.json()["status"], status.json()["progress"]))
        time.sleep(0.05)

    progress = [value for _, value in seen]
    assert progress == sorted(progress), f"progress went backwards: {seen}"
    assert any(state == "running" and value < 100 for state, value in seen), seen
    assert seen[-1] == ("completed", 100)
    download = api.get(body["download_url"])
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    rows = download.text.strip().splitlines()
    assert len(rows) >= 400  # the rows, plus a header line


def test_ctrl_c_stops_every_process_it_started(stack: RunningStack) -> None:
    process = stack.process
    started = process.started_pids | children_of(process.process.pid)
    # uv's child (the launcher), Temporal, three workers and the API at least.
    assert len(started) >= 6, process.tail()

    process.interrupt()
    code = process.wait_exit()

    assert code == 0, process.tail()
    assert [pid for pid in started if alive(pid)] == []
    output = process.output
    assert "stopped; every process has exited" in output
    # uv passed the Ctrl-C on again a moment after the terminal's: the same stop, not "kill now".
    assert "SIGINT again within 1s (repeated by the process group / uv)" in output
    assert "killing whatever is still running" not in output
    for worker in ("worker-orders", "worker-approvals", "worker-reports"):
        assert any(line.startswith(worker) and "drain" in line for line in output.splitlines())
