"""TemporalSettings read from the real process environment, and their error messages."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporal_core import SettingsError, TemporalSettings

pytestmark = pytest.mark.usefixtures("clean_temporal_env")


def test_defaults_follow_the_documented_table() -> None:
    settings = TemporalSettings.load()
    assert settings.enabled is True
    assert settings.url == "localhost:7233"
    assert settings.namespace == "default"
    assert settings.uses_tls is False
    assert settings.workflow_execution_timeout is None
    assert settings.workflow_task_timeout == timedelta(seconds=10)
    assert settings.activity_start_to_close_timeout == timedelta(minutes=5)
    assert settings.activity_retry.maximum_attempts == 5
    assert settings.drain_timeout == timedelta(seconds=30)
    assert settings.worker_build_id is None  # unversioned unless a deployment sets a build id


def test_environment_values_including_nested_and_per_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_URL", "temporal.internal:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "payments")
    monkeypatch.setenv("TEMPORAL_ENABLED", "false")
    monkeypatch.setenv("TEMPORAL_WORKFLOW_EXECUTION_TIMEOUT", "3600")
    monkeypatch.setenv("TEMPORAL_ACTIVITY_HEARTBEAT_TIMEOUT", "PT30S")
    monkeypatch.setenv("TEMPORAL_ACTIVITY_RETRY__MAXIMUM_ATTEMPTS", "9")
    monkeypatch.setenv("TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES", "7")
    monkeypatch.setenv("TEMPORAL_QUEUES__ORDERS__ACTIVITY_START_TO_CLOSE_TIMEOUT", "12.5")
    monkeypatch.setenv("TEMPORAL_API_KEY", "very-secret")
    settings = TemporalSettings.load()
    assert settings.url == "temporal.internal:7233"
    assert settings.namespace == "payments"
    assert settings.enabled is False
    assert settings.workflow_execution_timeout == timedelta(hours=1)
    assert settings.activity_heartbeat_timeout == timedelta(seconds=30)
    assert settings.activity_retry.maximum_attempts == 9
    orders = settings.for_queue("orders")
    assert orders.max_concurrent_activities == 7
    assert orders.activity_start_to_close_timeout == timedelta(seconds=12.5)
    assert settings.for_queue("reports").max_concurrent_activities is None
    # An API key implies TLS and never shows up in reprs or logs.
    assert settings.uses_tls is True
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TEMPORAL_URL", "localhost", "TEMPORAL_URL: must be host:port"),
        ("TEMPORAL_URL", "localhost:99999", "TEMPORAL_URL: must be host:port"),
        ("TEMPORAL_NAMESPACE", "", "TEMPORAL_NAMESPACE"),
        ("TEMPORAL_ENABLED", "maybe", "TEMPORAL_ENABLED"),
        ("TEMPORAL_WORKFLOW_TASK_TIMEOUT", "-5", "TEMPORAL_WORKFLOW_TASK_TIMEOUT"),
        ("TEMPORAL_ACTIVITY_START_TO_CLOSE_TIMEOUT", "soon", "TEMPORAL_ACTIVITY_START_TO_CLOSE"),
        ("TEMPORAL_ACTIVITY_RETRY__BACKOFF_COEFFICIENT", "0.5", "ACTIVITY_RETRY__BACKOFF"),
        ("TEMPORAL_MAX_CONCURRENT_ACTIVITIES", "0", "TEMPORAL_MAX_CONCURRENT_ACTIVITIES"),
        ("TEMPORAL_WORKFLOW_TASK_POLLERS", "1", "TEMPORAL_WORKFLOW_TASK_POLLERS"),
        ("TEMPORAL_DRAIN_TIMEOUT", "-1", "TEMPORAL_DRAIN_TIMEOUT"),
        ("TEMPORAL_TLS_CA_CERT_PATH", "/nonexistent/ca.pem", "TEMPORAL_TLS_CA_CERT_PATH"),
        (
            "TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES",
            "none",
            "TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES",
        ),
        ("TEMPORAL_QUEUES__ORDERS__NOT_A_SETTING", "1", "TEMPORAL_QUEUES__ORDERS__NOT_A_SETTING"),
        ("TEMPORAL_WORKER_DEPLOYMENT_NAME", "orders.eu", "TEMPORAL_WORKER_DEPLOYMENT_NAME"),
        ("TEMPORAL_WORKER_BUILD_ID", " 1.2.0", "TEMPORAL_WORKER_BUILD_ID: must not start"),
        ("TEMPORAL_WORKER_DEFAULT_VERSIONING_BEHAVIOR", "sticky", "DEFAULT_VERSIONING_BEHAVIOR"),
    ],
)
def test_each_bad_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        TemporalSettings.load()
    assert expected in str(caught.value)


def test_an_empty_build_id_leaves_workers_unversioned(monkeypatch: pytest.MonkeyPatch) -> None:
    # What an image built without a build id sets: `ENV TEMPORAL_WORKER_BUILD_ID=${BUILD_ID}`.
    monkeypatch.setenv("TEMPORAL_WORKER_BUILD_ID", "")
    assert TemporalSettings.load().worker_build_id is None


def test_client_cert_without_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("not really a cert")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(cert))
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_CLIENT_KEY_PATH"):
        TemporalSettings.load()


def test_several_bad_values_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_URL", "nope")
    monkeypatch.setenv("TEMPORAL_MAX_CONCURRENT_ACTIVITIES", "-3")
    with pytest.raises(SettingsError) as caught:
        TemporalSettings.load()
    message = str(caught.value)
    assert "TEMPORAL_URL" in message
    assert "TEMPORAL_MAX_CONCURRENT_ACTIVITIES" in message
