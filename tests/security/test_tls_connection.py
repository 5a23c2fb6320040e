"""The real client through a real TLS endpoint: mTLS connects; every wrong credential is refused.

Configured only through environment variables, as a deployment would be. Each refusal must come
from TLS itself (the proxy records the handshake it refused, or the client rejects the server's
certificate), surface as ``TemporalUnavailableError`` naming what was used, and turn the health
check false.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from temporal_core import TemporalClientService, TemporalSettings, TemporalUnavailableError
from temporal_core.testing import TlsProxy
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from tests.security.certificates import Certificates, mtls_environment

pytestmark = pytest.mark.usefixtures("clean_temporal_env")


def service_from(
    environment: Mapping[str, str], monkeypatch: pytest.MonkeyPatch
) -> TemporalClientService:
    """The service a process with ``environment`` builds (settings read from the environment)."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TEMPORAL_CONNECT_TIMEOUT", "3s")
    return TemporalClientService(TemporalSettings.load())


async def test_mtls_connects_and_the_server_answers(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = service_from(mtls_environment(mtls_proxy.address, certificates), monkeypatch)
    assert await service.health_check(timeout=5) is True
    client = await service.get_client()
    info = await client.workflow_service.get_system_info(GetSystemInfoRequest())
    assert info.server_version
    assert mtls_proxy.accepted >= 1
    assert mtls_proxy.refusals == []


async def test_the_configured_server_name_is_what_the_certificate_is_checked_against(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dialled by IP, verified as "localhost": the name in the certificate, so it connects.
    environment = mtls_environment(
        mtls_proxy.address, certificates, TEMPORAL_TLS_SERVER_NAME="localhost"
    )
    assert await service_from(environment, monkeypatch).health_check(timeout=5) is True


async def refused(service: TemporalClientService) -> str:
    """The error message of a refused connection; the health check must say false too."""
    with pytest.raises(TemporalUnavailableError) as caught:
        await service.get_client()
    assert await service.health_check(timeout=4) is False
    return str(caught.value)


async def test_no_client_certificate_is_refused_by_the_server(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {
        name: value
        for name, value in mtls_environment(mtls_proxy.address, certificates).items()
        if "CLIENT" not in name
    }
    message = await refused(service_from(environment, monkeypatch))
    assert "no client certificate" in message
    assert "did not accept the client certificate" in message
    assert mtls_proxy.accepted == 0
    assert "PEER_DID_NOT_RETURN_A_CERTIFICATE" in mtls_proxy.refusals


async def test_a_client_certificate_from_another_ca_is_refused_by_the_server(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = mtls_environment(
        mtls_proxy.address,
        certificates,
        TEMPORAL_TLS_CLIENT_CERT_PATH=str(certificates.stranger.certificate),
        TEMPORAL_TLS_CLIENT_KEY_PATH=str(certificates.stranger.private_key),
    )
    message = await refused(service_from(environment, monkeypatch))
    assert f"did not accept the client certificate {certificates.stranger.certificate}" in message
    assert mtls_proxy.accepted == 0
    assert "CERTIFICATE_VERIFY_FAILED" in mtls_proxy.refusals


async def test_a_server_certificate_without_the_configured_name_is_refused_by_the_client(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = mtls_environment(
        mtls_proxy.address, certificates, TEMPORAL_TLS_SERVER_NAME="temporal.example.com"
    )
    message = await refused(service_from(environment, monkeypatch))
    assert "server name temporal.example.com" in message
    assert "server's certificate was not accepted" in message
    assert mtls_proxy.accepted == 0
    assert mtls_proxy.refusals  # the client aborted the handshake


async def test_a_server_certificate_from_an_untrusted_ca_is_refused_by_the_client(
    mtls_proxy: TlsProxy, certificates: Certificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = mtls_environment(
        mtls_proxy.address,
        certificates,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH=str(certificates.other_ca),
    )
    message = await refused(service_from(environment, monkeypatch))
    assert str(certificates.other_ca) in message
    assert "UnknownIssuer" in message
    assert mtls_proxy.accepted == 0


async def test_plaintext_to_a_tls_endpoint_is_refused(
    mtls_proxy: TlsProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    message = await refused(service_from({"TEMPORAL_ADDRESS": mtls_proxy.address}, monkeypatch))
    assert "plaintext" in message
    assert mtls_proxy.accepted == 0
