"""The API key travels as ``authorization: Bearer <key>`` on every call: seen by a gRPC double.

The double is a real gRPC server (``grpc.aio``, serving TLS) that records the metadata of each
call it receives. It answers ``GetSystemInfo`` (what the SDK calls when it connects) and refuses any
other method, so the test sees exactly the headers the real client sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from temporal_core import TemporalClientService, TemporalSettings
from temporalio.api.workflowservice.v1 import GetSystemInfoResponse

from tests.security.certificates import Certificates

pytestmark = pytest.mark.usefixtures("clean_temporal_env")

SYSTEM_INFO = "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo"


class RecordingFrontend(grpc.GenericRpcHandler):
    """Answers GetSystemInfo, refuses the rest; keeps each call's method and metadata."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler | None:
        method: str = handler_call_details.method  # type: ignore[attr-defined]
        metadata = {
            key: value if isinstance(value, str) else value.decode()
            for key, value in handler_call_details.invocation_metadata  # type: ignore[attr-defined]
        }
        self.calls.append((method, metadata))

        async def answer(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            if method != SYSTEM_INFO:
                await context.abort(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not doubled")
            return GetSystemInfoResponse(server_version="double").SerializeToString()

        return grpc.unary_unary_rpc_method_handler(answer)


@pytest.fixture
async def frontend(certificates: Certificates) -> AsyncIterator[tuple[str, RecordingFrontend]]:
    """The recording double on a free loopback port, serving TLS like Temporal Cloud does."""
    recorder = RecordingFrontend()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((recorder,))
    credentials = grpc.ssl_server_credentials(
        [
            (
                certificates.server.private_key.read_bytes(),
                certificates.server.certificate.read_bytes(),
            )
        ]
    )
    port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        yield f"127.0.0.1:{port}", recorder
    finally:
        await server.stop(grace=None)


async def test_the_api_key_is_sent_as_a_bearer_token_over_tls(
    frontend: tuple[str, RecordingFrontend],
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, recorder = frontend
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("TEMPORAL_API_KEY", "key-for-the-double")
    monkeypatch.setenv("TEMPORAL_GRPC_META_X_TENANT", "acme")
    # No TEMPORAL_TLS: the API key implies TLS; the double's certificate comes from our CA.
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(certificates.ca))
    service = TemporalClientService(TemporalSettings.load())
    await service.get_client()
    methods = [method for method, _ in recorder.calls]
    assert SYSTEM_INFO in methods
    for _, metadata in recorder.calls:
        assert metadata["authorization"] == "Bearer key-for-the-double"
        assert metadata["x-tenant"] == "acme"


async def test_without_an_api_key_no_authorization_header_is_sent(
    frontend: tuple[str, RecordingFrontend],
    certificates: Certificates,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, recorder = frontend
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(certificates.ca))
    await TemporalClientService(TemporalSettings.load()).get_client()
    assert recorder.calls
    assert all("authorization" not in metadata for _, metadata in recorder.calls)
