"""The hint appended to a failed TLS connection, for the reason strings the SDK really produces.

Each reason below was logged by the SDK (temporalio's Rust core: tonic, hyper, rustls) against
``temporal_core.testing.TlsProxy``, in-process and from ``python -m worker_orders`` and
``uv run --package worker-orders serve``; the same refusal yields a different one from attempt
to attempt. The end-to-end refusals are in tests/security.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from temporal_core.client.settings import TemporalSettings
from temporal_core.client.tls_failure import tls_failure_hint

_CALL_FAILED = "Failed client connect: `get_system_info` call error after connection: "
_CONNECT_FAILED = "Failed client connect: Server connection error: tonic::transport::Error("

# A server refused the client certificate (TLS 1.3: the connection closes under the first call).
SERVER_CLOSED = {
    "missing close_notify": _CALL_FAILED
    + 'Status { code: Unknown, message: "transport error", source: Some(tonic::transport::Error('
    'Transport, hyper::Error(Io, Custom { kind: UnexpectedEof, error: "peer closed connection '
    "without sending TLS close_notify: https://docs.rs/rustls/latest/rustls/manual/_03_howto/"
    'index.html#unexpected-eof" }))) }',
    "reset": _CALL_FAILED
    + 'Status { code: Unknown, message: "transport error", source: Some(tonic::transport::Error('
    "Transport, hyper::Error(Io, Kind(ConnectionReset)))) }",
    "broken pipe": _CALL_FAILED
    + 'Status { code: Unknown, message: "transport error", source: Some(tonic::transport::Error('
    'Transport, hyper::Error(Io, Custom { kind: BrokenPipe, error: "stream closed because of a '
    'broken pipe" }))) }',
    # The one the old hint missed: no "transport error" and no "close_notify" in it.
    "call cancelled, connection closed": _CALL_FAILED
    + 'Status { code: Cancelled, message: "operation was canceled", source: Some('
    'tonic::transport::Error(Transport, hyper::Error(Canceled, "connection closed"))) }',
    # The same race a step earlier: the call was queued before the connection was first polled
    # (seen in a CI run of tests/security/test_tls_connection.py).
    "call cancelled, connection not ready": _CALL_FAILED
    + 'Status { code: Cancelled, message: "operation was canceled", source: Some('
    'tonic::transport::Error(Transport, hyper::Error(Canceled, "connection was not ready"))) }',
    # A TLS 1.2 server checks the certificate inside the handshake and hangs up there.
    "TLS 1.2 handshake eof": _CONNECT_FAILED
    + 'Transport, ConnectError(Custom { kind: UnexpectedEof, error: "tls handshake eof" }))',
    # rustls's wording when the server sends an alert instead (as Go TLS servers do); the
    # Python proxy of these tests never sends one, so this row is rustls's format, not a log.
    "alert": _CONNECT_FAILED
    + "Transport, ConnectError(Custom { kind: InvalidData, error: AlertReceived(BadCertificate) "
    "}))",
}

# The client refused the server's certificate.
SERVER_CERTIFICATE_REJECTED = {
    "name not in the certificate": _CONNECT_FAILED
    + "Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate("
    'NotValidForNameContext { expected: DnsName("temporal.example.com"), presented: '
    '["DnsName(\\"localhost\\")", "IpAddress(127.0.0.1)"] }) }))',
    "issuer not trusted": _CONNECT_FAILED
    + "Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate("
    "UnknownIssuer) }))",
}

# Failures TLS does not explain: pointing at certificates would mislead.
NOT_TLS = {
    "nothing listens": _CONNECT_FAILED
    + 'Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:58347, Os { code: '
    '111, kind: ConnectionRefused, message: "Connection refused" })))',
    "no answer in time": "TimeoutError",
    "the server speaks plaintext": _CONNECT_FAILED
    + "Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage("
    "InvalidContentType) }))",
}


pytestmark = pytest.mark.usefixtures("clean_temporal_env")


@pytest.fixture
def pem_files(tmp_path: Path) -> dict[str, Path]:
    """Files for the settings to name (their content is never read by the hint)."""
    files = {name: tmp_path / f"{name}.pem" for name in ("ca", "client", "client-key")}
    for path in files.values():
        path.write_text("not read\n")
    return files


def mtls(files: dict[str, Path]) -> TemporalSettings:
    return TemporalSettings(
        url="temporal.internal:7233",
        tls_ca_cert_path=files["ca"],
        tls_client_cert_path=files["client"],
        tls_client_key_path=files["client-key"],
    )


@pytest.mark.parametrize("reason", SERVER_CLOSED.values(), ids=SERVER_CLOSED.keys())
def test_a_closed_connection_points_at_the_client_certificate_by_path(
    reason: str, pem_files: dict[str, Path]
) -> None:
    hint = tls_failure_hint(mtls(pem_files), reason)
    assert f"did not accept the client certificate {pem_files['client']} " in hint
    assert "TEMPORAL_TLS_CLIENT_CERT_PATH" in hint
    assert "signed by a CA the server trusts for clients" in hint
    assert "TEMPORAL_TLS_SERVER_NAME" in hint
    assert "server's certificate was not accepted" not in hint


def test_a_closed_connection_without_a_client_certificate_says_none_is_configured(
    pem_files: dict[str, Path],
) -> None:
    settings = TemporalSettings(url="temporal.internal:7233", tls_ca_cert_path=pem_files["ca"])
    hint = tls_failure_hint(settings, SERVER_CLOSED["call cancelled, connection closed"])
    assert "did not accept the client certificate: none is configured" in hint
    assert "set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH" in hint


def test_an_inline_client_certificate_is_named_by_its_variable_not_its_content() -> None:
    settings = TemporalSettings(
        url="temporal.internal:7233",
        tls_client_cert_data="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        tls_client_key_data=SecretStr(
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"
        ),
    )
    hint = tls_failure_hint(settings, SERVER_CLOSED["missing close_notify"])
    assert "did not accept the client certificate given in TEMPORAL_TLS_CLIENT_CERT_DATA" in hint
    assert "BEGIN" not in hint


@pytest.mark.parametrize(
    "reason", SERVER_CERTIFICATE_REJECTED.values(), ids=SERVER_CERTIFICATE_REJECTED.keys()
)
def test_a_rejected_server_certificate_points_at_the_ca_and_the_name(
    reason: str, pem_files: dict[str, Path]
) -> None:
    hint = tls_failure_hint(mtls(pem_files), reason)
    assert "server's certificate was not accepted" in hint
    assert "TEMPORAL_TLS_SERVER_CA_CERT_PATH" in hint
    assert "TEMPORAL_TLS_SERVER_NAME" in hint
    assert "client certificate" not in hint


@pytest.mark.parametrize("reason", NOT_TLS.values(), ids=NOT_TLS.keys())
def test_failures_tls_does_not_explain_get_no_hint(reason: str, pem_files: dict[str, Path]) -> None:
    assert tls_failure_hint(mtls(pem_files), reason) == ""


def test_without_tls_there_is_no_hint() -> None:
    # Plaintext to a TLS endpoint breaks the pipe too; the fix is not a certificate.
    settings = TemporalSettings(url="temporal.internal:7233")
    assert tls_failure_hint(settings, SERVER_CLOSED["broken pipe"]) == ""
