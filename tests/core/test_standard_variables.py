"""Temporal's standard variable names and TOML profiles, read by TemporalSettings.

The names come from ``temporalio.envconfig`` (what every Temporal SDK and the CLI read); the
cross-check at the end builds the same environment with the SDK's own loader and compares.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from temporal_core import SettingsError, TemporalSettings
from temporal_core.client.service import tls_config
from temporalio.envconfig import ClientConfig
from temporalio.service import TLSConfig

pytestmark = pytest.mark.usefixtures("clean_temporal_env")


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, Path]:
    """Files where PEMs would be (the settings check existence, the client reads them)."""
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "cert", "key")}
    for name, path in files.items():
        path.write_text(f"-----BEGIN {name.upper()}-----\n")
    return files


def test_temporal_address_and_our_temporal_url_both_set_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal.internal:7233")
    assert TemporalSettings.load().url == "temporal.internal:7233"
    monkeypatch.delenv("TEMPORAL_ADDRESS")
    monkeypatch.setenv("TEMPORAL_URL", "legacy.internal:7233")
    assert TemporalSettings.load().url == "legacy.internal:7233"
    monkeypatch.setenv("TEMPORAL_ADDRESS", "legacy.internal:7233")  # the same value: fine
    assert TemporalSettings.load().url == "legacy.internal:7233"


@pytest.mark.parametrize(
    ("ours", "ours_value", "standard", "standard_value"),
    [
        ("TEMPORAL_URL", "a.internal:7233", "TEMPORAL_ADDRESS", "b.internal:7233"),
        ("TEMPORAL_TLS_ENABLED", "false", "TEMPORAL_TLS", "true"),
    ],
)
def test_both_spellings_with_different_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, ours: str, ours_value: str, standard: str, standard_value: str
) -> None:
    monkeypatch.setenv(ours, ours_value)
    monkeypatch.setenv(standard, standard_value)
    with pytest.raises(SettingsError) as caught:
        TemporalSettings.load()
    message = str(caught.value)
    assert ours in message
    assert standard in message
    assert "set only one of them" in message


def test_equal_values_in_both_spellings_are_compared_by_meaning(
    monkeypatch: pytest.MonkeyPatch, pem_files: dict[str, Path]
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_ENABLED", "1")
    monkeypatch.setenv("TEMPORAL_TLS", "true")
    monkeypatch.setenv("TEMPORAL_TLS_CA_CERT_PATH", str(pem_files["ca"]))
    monkeypatch.setenv(
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(pem_files["ca"].parent / ".." / "x" / "..")
    )
    # Different paths: refused. The same file written two ways: accepted.
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_SERVER_CA_CERT_PATH"):
        TemporalSettings.load()
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", f"{pem_files['ca'].parent}/./ca.pem")
    settings = TemporalSettings.load()
    assert settings.tls_enabled is True
    assert settings.tls_ca_cert_path == pem_files["ca"]


def test_a_bad_value_is_reported_under_the_name_the_user_wrote(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "no-port")
    with pytest.raises(SettingsError, match="TEMPORAL_ADDRESS: must be host:port"):
        TemporalSettings.load()
    monkeypatch.delenv("TEMPORAL_ADDRESS")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "/nonexistent/ca.pem")
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_SERVER_CA_CERT_PATH: must be the path"):
        TemporalSettings.load()


def test_tls_false_turns_off_the_tls_an_api_key_implies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_API_KEY", "k")
    assert TemporalSettings.load().uses_tls is True
    monkeypatch.setenv("TEMPORAL_TLS", "false")
    assert TemporalSettings.load().uses_tls is False


def test_inline_pem_data_reaches_the_tls_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "CA PEM")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_DATA", "CERT PEM")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_DATA", "KEY PEM")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    settings = TemporalSettings.load()
    assert "KEY PEM" not in repr(settings)
    config = tls_config(settings)
    assert isinstance(config, TLSConfig)
    assert config.server_root_ca_cert == b"CA PEM"
    assert config.client_cert == b"CERT PEM"
    assert config.client_private_key == b"KEY PEM"
    assert config.domain == "temporal.internal"


def test_a_pem_given_both_as_path_and_as_data_is_refused(
    monkeypatch: pytest.MonkeyPatch, pem_files: dict[str, Path]
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(pem_files["cert"]))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_DATA", "CERT PEM")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_DATA", "KEY PEM")
    with pytest.raises(SettingsError, match=r"TEMPORAL_TLS_CLIENT_CERT_PATH and .*_DATA"):
        TemporalSettings.load()


def test_disabling_host_verification_is_refused_with_what_to_do_instead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "true")
    with pytest.raises(SettingsError, match="TEMPORAL_TLS_SERVER_NAME"):
        TemporalSettings.load()


PROFILES = """
[profile.default]
address = "localhost:7233"

[profile.cloud]
address = "acme.a1b2c.tmprl.cloud:7233"
namespace = "acme.a1b2c"
api_key = "from-the-file"

[profile.cloud.grpc_meta]
x-tenant = "acme"

[profile.mtls]
address = "temporal.internal:7233"
namespace = "orders"

[profile.mtls.tls]
server_name = "temporal.internal"
server_ca_cert_path = "{ca}"
client_cert_path = "{cert}"
client_key_path = "{key}"
"""


@pytest.fixture
def config_file(tmp_path: Path, pem_files: dict[str, Path]) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILES.format(**{name: str(p) for name, p in pem_files.items()}))
    return path


def test_a_toml_profile_is_read_when_named(
    monkeypatch: pytest.MonkeyPatch, config_file: Path, pem_files: dict[str, Path]
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("TEMPORAL_PROFILE", "mtls")
    settings = TemporalSettings.load()
    assert settings.url == "temporal.internal:7233"
    assert settings.namespace == "orders"
    assert settings.tls_enabled is True
    assert settings.tls_server_name == "temporal.internal"
    assert settings.tls_ca_cert_path == pem_files["ca"]
    assert settings.tls_client_cert_path == pem_files["cert"]
    assert settings.tls_client_key_path == pem_files["key"]
    assert settings.profile == "mtls"

    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    cloud = TemporalSettings.load()
    assert cloud.api_key is not None
    assert cloud.api_key.get_secret_value() == "from-the-file"
    assert cloud.uses_tls is True
    assert cloud.grpc_meta == {"x-tenant": "acme"}


def test_the_environment_overrides_the_profile(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("TEMPORAL_PROFILE", "cloud")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "acme-staging.a1b2c")
    monkeypatch.setenv("TEMPORAL_URL", "staging.tmprl.cloud:7233")
    settings = TemporalSettings.load()
    assert settings.namespace == "acme-staging.a1b2c"
    assert settings.url == "staging.tmprl.cloud:7233"
    assert settings.api_key is not None  # not overridden: still the file's


def test_the_default_profile_of_a_named_file(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("TEMPORAL_URL", "elsewhere:7233")
    assert TemporalSettings.load().url == "elsewhere:7233"
    monkeypatch.delenv("TEMPORAL_URL")
    assert TemporalSettings.load().url == "localhost:7233"


@pytest.mark.parametrize(
    ("file_text", "profile", "expected"),
    [
        (PROFILES, "staging", "TEMPORAL_PROFILE 'staging'"),
        ('[profile.default]\naddres = "x:1"\n', None, "TEMPORAL_PROFILE 'default'"),
        (None, None, "TEMPORAL_CONFIG_FILE: "),
    ],
    ids=["unknown profile", "unknown key in the file", "missing file"],
)
def test_profile_problems_are_settings_errors(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    file_text: str | None,
    profile: str | None,
    expected: str,
) -> None:
    path = tmp_path / "temporal.toml"
    if file_text is not None:
        path.write_text(file_text.format(ca="a", cert="b", key="c"))
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(path))
    if profile is not None:
        monkeypatch.setenv("TEMPORAL_PROFILE", profile)
    with pytest.raises(SettingsError, match=expected):
        TemporalSettings.load()


def test_no_toml_file_is_read_unless_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's personal CLI config (the SDK's default location) points at a cloud account;
    # without TEMPORAL_CONFIG_FILE or TEMPORAL_PROFILE a service must not follow it.
    home_config = tmp_path / "home" / ".config" / "temporalio"
    home_config.mkdir(parents=True)
    (home_config / "temporal.toml").write_text(
        '[profile.default]\naddress = "acme.a1b2c.tmprl.cloud:7233"\n'
    )
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    assert ClientConfig.load_client_connect_config().get("target_host") == (
        "acme.a1b2c.tmprl.cloud:7233"
    ), "the SDK itself reads that file"
    assert TemporalSettings.load().url == "localhost:7233"


def test_our_settings_connect_as_the_sdks_own_loader_would(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    environment = {
        "TEMPORAL_CONFIG_FILE": str(config_file),
        "TEMPORAL_PROFILE": "mtls",
        "TEMPORAL_NAMESPACE": "orders-eu",
        "TEMPORAL_GRPC_META_X_REGION": "eu",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    theirs = ClientConfig.load_client_connect_config()
    ours = TemporalSettings.load()
    assert ours.url == theirs.get("target_host")
    assert ours.namespace == theirs.get("namespace")
    assert ours.grpc_meta == dict(theirs.get("rpc_metadata", {}))
    assert tls_config(ours) == theirs.get("tls")


# --- unknown TEMPORAL_* variables ----------------------------------------------------------------


def test_an_unknown_variable_is_warned_about_with_the_close_names(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("TEMPORAL_ADRESS", "temporal.internal:7233")
    with caplog.at_level(logging.WARNING, logger="temporal_core.client.settings"):
        settings = TemporalSettings.load()
    assert settings.url == "localhost:7233"
    assert "TEMPORAL_ADRESS: not a Temporal setting" in caplog.text
    assert "did you mean TEMPORAL_ADDRESS" in caplog.text


def test_unknown_variables_are_refused_when_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_REJECT_UNKNOWN_VARIABLES", "true")
    monkeypatch.setenv("TEMPORAL_NAMESPCE", "payments")
    with pytest.raises(SettingsError, match=r"TEMPORAL_NAMESPCE.*did you mean TEMPORAL_NAMESPACE"):
        TemporalSettings.load()


def test_a_bad_value_error_also_names_the_unknown_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TEMPORAL_URL", "nope")
    monkeypatch.setenv("TEMPORAL_CONECT_TIMEOUT", "3")
    with pytest.raises(SettingsError) as caught:
        TemporalSettings.load()
    assert "TEMPORAL_URL: must be host:port" in str(caught.value)
    assert "did you mean TEMPORAL_CONNECT_TIMEOUT" in str(caught.value)


def test_variables_of_other_temporal_tools_and_nested_settings_are_not_reported(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in (
        "TEMPORAL_CLI_PATH",  # our dev-server fixture / the CLI
        "TEMPORAL_CODEC_ENDPOINT",  # the CLI's codec endpoint
        "TEMPORAL_CORE_PRETTY_LOGS",  # the SDK core
        "TEMPORAL_UI_PUBLISH_PORT",  # our compose file
        "TEMPORAL_GRPC_META_X_TENANT",  # read: a gRPC header
        "TEMPORAL_QUEUES__ORDERS__MAX_CONCURRENT_ACTIVITIES",
        "TEMPORAL_ACTIVITY_RETRY__MAXIMUM_ATTEMPTS",
    ):
        monkeypatch.setenv(name, "3")
    monkeypatch.setenv("TEMPORAL_REJECT_UNKNOWN_VARIABLES", "true")
    with caplog.at_level(logging.WARNING):
        TemporalSettings.load()
    assert "not a Temporal setting" not in caplog.text
