"""`dev`'s options and environment, checked in-process (the stack itself is in the e2e tests)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from dev_stack.cli import build_parser, config_from_args
from dev_stack.config import StackConfig, StackError, check_ports_free
from dev_stack.stack import Stack
from temporal_core.testing.dev_server import free_port

from tests.e2e.stack_process import ROOT


def config(*argv: str) -> StackConfig:
    return config_from_args(build_parser().parse_args(list(argv)), cwd=ROOT / "packages")


def test_defaults_are_the_documented_ports_and_the_ignored_data_folder() -> None:
    defaults = config()
    assert (defaults.temporal_port, defaults.ui_port, defaults.api_port) == (7233, 8233, 8000)
    assert defaults.root == ROOT
    assert defaults.data_dir == ROOT / ".data"
    assert ".data/" in (ROOT / ".gitignore").read_text().split()
    assert defaults.starts_temporal
    assert defaults.temporal_db_file is None
    assert defaults.worker_health_ports == {}


def test_options_for_every_port_persistence_and_no_ui(tmp_path: Path) -> None:
    chosen = config(
        "--temporal-port", "17001", "--no-ui", "--api-port", "17002",
        "--orders-health-port", "17003", "--approvals-health-port", "17004",
        "--reports-health-port", "17005", "--persist", "--data-dir", str(tmp_path),
    )  # fmt: skip
    assert chosen.temporal_url == "127.0.0.1:17001"
    assert chosen.ui_port is None
    assert chosen.api_base_url == "http://127.0.0.1:17002"
    assert chosen.worker_health_ports == {
        "worker-orders": 17003,
        "worker-approvals": 17004,
        "worker-reports": 17005,
    }
    assert chosen.temporal_db_file == tmp_path / "temporal.sqlite3"


def test_an_existing_server_replaces_the_dev_server() -> None:
    external = config("--temporal-address", "temporal.internal:7233", "--namespace", "shop")
    assert not external.starts_temporal
    assert external.temporal_url == "temporal.internal:7233"
    with pytest.raises(StackError, match="--persist"):
        config("--temporal-address", "temporal.internal:7233", "--persist")


def test_a_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--api-port", "70000"])
    assert exit_info.value.code == 2
    assert "ports go from 1 to 65535" in capsys.readouterr().err


def test_a_listening_port_is_named_with_its_option() -> None:
    free = free_port()
    check_ports_free({"API, --api-port": free})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StackError, match=rf"port {port} \(API, --api-port\) is already in use"):
            check_ports_free({"API, --api-port": port})


def test_services_get_the_stack_settings_and_keep_their_own_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "everything")
    monkeypatch.setenv("TEMPORAL_URL", "elsewhere:7233")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "elsewhere:7233")  # exported for the temporal CLI
    stack = Stack(
        config(
            "--temporal-port", "17001", "--otlp-endpoint", "http://127.0.0.1:4318",
            "--log-format", "json", "--data-dir", str(tmp_path),
        )
    )  # fmt: skip

    env = stack.environment_for("worker-orders")

    assert env["SERVE_PACKAGE"] == "worker-orders"
    assert env["TEMPORAL_URL"] == "127.0.0.1:17001"
    assert env["TEMPORAL_ADDRESS"] == "127.0.0.1:17001"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"
    assert "OTEL_SERVICE_NAME" not in env
    assert env["LOG_FORMAT"] == "json"
    assert env["REPORTS_DIR"] == str(tmp_path / "reports")
    assert env["SIDE_EFFECTS_DB"] == str(tmp_path / "side_effects.sqlite3")
    assert env["PYTHONUNBUFFERED"] == "1"


async def test_one_port_for_two_parts_is_refused_before_anything_starts() -> None:
    clash = config("--api-port", "17010", "--orders-health-port", "17010")
    with pytest.raises(StackError, match="port 17010 is given to both"):
        await Stack(clash).run()
