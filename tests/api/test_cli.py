"""``serve`` for the API: option checks exit 2, and a real process serves the app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from api.cli import main
from temporal_core.cli.stop_signals import REPEAT_WINDOW_SECONDS
from temporal_core.testing.dev_server import free_port
from temporalio.testing import WorkflowEnvironment

from tests.auth_tokens import AUTH_ENV, KEY_SET_JSON, bearer
from tests.workers.worker_processes import ServeProcess, uv_serve, worker_env


def exit_code(argv: Sequence[str]) -> int:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    return int(raised.value.code or 0)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "--port"),
        (["--port", "70000"], "--port"),
        (["--port", "http"], "--port"),
        (["--workers", "0"], "--workers"),
        (["--log-level", "LOUD"], "--log-level"),
        (["--log-format", "xml"], "--log-format"),
        (["--reload", "--workers", "2"], "--workers"),
        (["--no-such-option"], "--no-such-option"),
    ],
)
def test_bad_options_exit_2_naming_the_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TEMPORAL_URL", "no-port-here"),
        ("API_MAX_BATCH_SIZE", "0"),
        ("API_RETRY_AFTER_SECONDS", "soon"),
    ],
)
def test_bad_settings_exit_2_naming_the_variable(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("API_AUTH_KEYS", KEY_SET_JSON)
    monkeypatch.setenv(variable, value)
    assert exit_code([]) == 2
    assert variable in capsys.readouterr().err


def test_bad_port_from_environment_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("API_PORT", "-1")
    assert exit_code([]) == 2
    assert "API_PORT" in capsys.readouterr().err


@pytest.fixture
async def server_process(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    port = free_port()
    env = {
        **os.environ,
        "TEMPORAL_URL": temporal_env.client.service_client.config.target_host,
        "API_PORT": str(port),
        "SERVE_PACKAGE": "api",
        **AUTH_ENV,
    }
    # The shared console script, as `uv run --package api serve` runs it.
    serve = Path(sys.executable).parent / "serve"
    process = await asyncio.create_subprocess_exec(
        str(serve),
        "--log-format",
        "json",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_serve_runs_the_app_in_a_real_process(
    server_process: tuple[str, asyncio.subprocess.Process],
) -> None:
    url, process = server_process
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        await _wait_listening(http, process)
        health = await http.get("/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "healthy"

    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    stderr = (await asyncio.wait_for(process.stderr.read(), timeout=30)).decode()
    # uvicorn shuts down gracefully and re-raises the signal; serve turns that into status 0.
    assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert records, stderr
    assert "Application shutdown complete." in [record["message"] for record in records]


async def _wait_listening(http: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(60):
        while True:
            assert process.returncode is None, "serve exited early"
            try:
                if (await http.get("/health/live")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


def test_python_dash_m_api_shows_help() -> None:
    import subprocess

    completed = subprocess.run(
        [sys.executable, "-m", "api", "--help"], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    for option in ("--host", "--port", "--workers", "--reload", "--log-level", "--log-format"):
        assert option in completed.stdout


@pytest.fixture
async def api_under_uv_run(
    temporal_env: WorkflowEnvironment, tmp_path: Path
) -> AsyncIterator[tuple[ServeProcess, httpx.AsyncClient]]:
    """``uv run --package api serve`` in a process group of its own, as a terminal starts it."""
    port = free_port()
    address = temporal_env.client.service_client.config.target_host
    command = [*uv_serve("api"), "--port", str(port)]
    api = ServeProcess(command, env=worker_env(address, tmp_path, **AUTH_ENV))
    try:
        await api.wait_for_output("Application startup complete")
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers=bearer()
        ) as http:
            yield api, http
    finally:
        api.kill()


async def _waiting_request(http: httpx.AsyncClient, wait: float) -> asyncio.Task[httpx.Response]:
    """A result request that stays open ``wait`` seconds: nothing serves the real queue here."""
    order_id = f"sig-{uuid.uuid4().hex[:8]}"
    order = {
        "order_id": order_id,
        "customer_email": "ada@example.com",
        "amount": 1.0,
        "items": [{"sku": "book-1", "quantity": 1}],
    }
    started = await http.post("/orders", json=order)
    assert started.status_code == 202, started.text
    request = asyncio.create_task(http.get(started.json()["result_url"], params={"wait": wait}))
    await asyncio.sleep(1)  # well inside the wait: the request is open when the signal comes
    assert not request.done()
    return request


@pytest.mark.e2e
async def test_ctrl_c_under_uv_run_lets_an_open_request_finish(
    api_under_uv_run: tuple[ServeProcess, httpx.AsyncClient],
) -> None:
    # The terminal's SIGINT reaches serve, and uv passes its own copy on a moment later; uvicorn
    # alone took that copy as "force quit" and cut the open request off with a 500.
    api, http = api_under_uv_run
    request = await _waiting_request(http, wait=3)

    api.send_to_group(signal.SIGINT)

    response = await request
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "running"
    assert await api.wait_exit() == 0, api.output
    assert "SIGINT again within 1s (repeated by the process group / uv)" in api.output
    assert "Application shutdown complete." in api.output


@pytest.mark.e2e
async def test_ctrl_c_again_after_the_window_stops_waiting_for_open_requests(
    api_under_uv_run: tuple[ServeProcess, httpx.AsyncClient],
) -> None:
    api, http = api_under_uv_run
    request = await _waiting_request(http, wait=20)

    api.send_to_group(signal.SIGINT)
    await api.wait_for_output("Waiting for connections to close")
    await asyncio.sleep(REPEAT_WINDOW_SECONDS + 0.5)
    api.send_to_group(signal.SIGINT)

    assert await api.wait_exit(timeout=10) == 0, api.output
    assert "SIGINT again: not waiting for open requests any longer" in api.output
    with contextlib.suppress(httpx.TransportError):
        response = await request
        assert response.status_code != 202, "the request was waited for"
