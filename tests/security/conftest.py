"""Fixtures for connection security: per-run certificates and TLS proxies before the dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporal_core.testing import TlsProxy
from temporalio.testing import WorkflowEnvironment

from tests.security.certificates import Certificates, dev_server_address, make_certificates


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Fresh CAs and certificates for this run."""
    return make_certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture
async def mtls_proxy(
    temporal_env: WorkflowEnvironment, certificates: Certificates
) -> AsyncIterator[TlsProxy]:
    """A TLS endpoint that demands a client certificate signed by ``certificates.ca``."""
    async with TlsProxy(
        dev_server_address(temporal_env),
        certificate=certificates.server.certificate,
        private_key=certificates.server.private_key,
        client_ca=certificates.ca,
    ) as proxy:
        yield proxy
