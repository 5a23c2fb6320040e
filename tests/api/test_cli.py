"""``serve`` for the API: option checks exit 2, and a real process serves the app."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest
from api.cli import main
from temporal_core.testing.dev_server import free_port
from temporalio.testing import WorkflowEnvironment


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
