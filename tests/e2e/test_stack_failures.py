"""How `uv run dev` fails and stops: one clear line, the culprit named, nothing left running."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporal_core.testing.dev_server import dev_server_command, free_port

from tests.e2e.conftest import running_stack, stack_environment
from tests.e2e.stack_process import ROOT, STACK_COMMAND, StackPorts, alive, children_of

# Every test here runs `uv run dev` as a process, even those that expect it to give up at once.
pytestmark = pytest.mark.e2e


def run_dev(*options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`uv run dev` expected to give up at once; its whole output."""
    return subprocess.run(
        [*STACK_COMMAND, *options],
        cwd=ROOT,
        env=env or stack_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def only_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("dev: ")]
    assert len(lines) == 1, done.stderr
    assert done.stdout == "", done.stdout  # nothing was started, so no service printed
    return lines[0]


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    ports = StackPorts()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports.api))
        taken.listen()

        done = run_dev(*ports.options(ui=False), "--data-dir", str(tmp_path))

    line = only_line(done)
    assert f"port {ports.api} (API, --api-port) is already in use" in line


def test_a_missing_temporal_cli_is_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-temporal"
    env = stack_environment(TEMPORAL_CLI_PATH=str(missing))

    done = run_dev(*StackPorts().options(ui=False), "--data-dir", str(tmp_path), env=env)

    assert str(missing) in only_line(done)


def test_an_unreachable_temporal_address_is_one_clear_line(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    ports = StackPorts()

    done = run_dev(
        "--temporal-address", address,
        "--api-port", str(ports.api),
        "--orders-health-port", str(ports.orders_health),
        "--approvals-health-port", str(ports.approvals_health),
        "--reports-health-port", str(ports.reports_health),
        "--ready-timeout", "3",
        "--data-dir", str(tmp_path),
    )  # fmt: skip

    assert done.returncode == 1, done
    assert "Traceback" not in done.stdout + done.stderr
    assert f"cannot reach Temporal at {address}" in done.stdout


def test_a_dying_worker_is_named_and_everything_else_stops(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        process = stack.process
        started = process.started_pids
        orders = [pid for pid in started if _serves(pid, "worker-orders")]
        assert len(orders) == 1, started

        # Stands in for a crash: the worker gets no chance to say anything.
        os.kill(orders[0], signal.SIGKILL)
        code = process.wait_exit()

        assert code == 1, process.tail()
        assert "worker-orders was killed by SIGKILL; stopping the rest" in process.output
        assert [pid for pid in started if alive(pid)] == []


def _serves(pid: int, package: str) -> bool:
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"SERVE_PACKAGE={package}".encode() in environ


@pytest.fixture
def external_temporal() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A dev server the stack did not start, as another team's server would be."""
    port = free_port()
    server = subprocess.Popen(
        dev_server_command(port=port, ui_port=None),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield f"127.0.0.1:{port}", server
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_an_existing_server_is_used_and_sigterm_stops_only_the_stack(
    tmp_path: Path, external_temporal: tuple[str, subprocess.Popen[bytes]]
) -> None:
    address, server = external_temporal
    with running_stack(tmp_path, options=["--temporal-address", address]) as stack:
        process = stack.process
        assert f"{address}, namespace default" in process.output
        assert not any(line.startswith("temporal ") for line in process.output.splitlines())
        with stack.client() as api:
            started = api.post(
                "/orders",
                json={"order_id": "ext-1", "customer_email": "a@example.com", "amount": 1.0},
            )
            assert started.status_code == 202, started.text
            result = api.get(started.json()["result_url"], params={"wait": 30})
            assert result.status_code == 200, result.text
        started_pids = process.started_pids | children_of(process.process.pid)

        process.process.send_signal(signal.SIGTERM)  # to uv alone, as a process manager would
        code = process.wait_exit()

        assert code == 0, process.tail()
        assert [pid for pid in started_pids if alive(pid)] == []
    # The server belongs to someone else: still running after the stack is gone.
    assert server.poll() is None
