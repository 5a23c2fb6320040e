"""Certificates made fresh for each test run with ``trustme``: two unrelated CAs and their leaves.

``trustme`` writes real X.509 certificates (what a company CA or Temporal Cloud's would be), so the
TLS code under test cannot tell them from production ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import trustme
from temporalio.testing import WorkflowEnvironment


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate chain and its private key, as files."""

    certificate: Path
    private_key: Path


@dataclass(frozen=True)
class Certificates:
    """The files a TLS test needs."""

    ca: Path
    """The CA that signed ``server`` and ``client``: what the client and the proxy trust."""
    other_ca: Path
    """An unrelated CA: trusting it instead of ``ca`` must fail."""
    server: KeyPair
    """Issued by ``ca`` for ``localhost`` and ``127.0.0.1``."""
    client: KeyPair
    """Issued by ``ca``: the worker's and the API's identity for mTLS."""
    stranger: KeyPair
    """A client certificate issued by ``other_ca``: the proxy must refuse it."""


def make_certificates(directory: Path) -> Certificates:
    """Write a fresh CA, another CA and their certificates under ``directory``."""
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    client = ca.issue_cert("orders-worker@example.test")
    stranger = other.issue_cert("stranger@example.test")

    def write(name: str, blob: trustme.Blob) -> Path:
        path = directory / name
        blob.write_to_path(str(path))
        return path

    def pair(name: str, leaf: trustme.LeafCert) -> KeyPair:
        chain = directory / f"{name}.pem"
        chain.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
        return KeyPair(chain, write(f"{name}.key", leaf.private_key_pem))

    return Certificates(
        ca=write("ca.pem", ca.cert_pem),
        other_ca=write("other-ca.pem", other.cert_pem),
        server=pair("server", server),
        client=pair("client", client),
        stranger=pair("stranger", stranger),
    )


def dev_server_address(env: WorkflowEnvironment) -> str:
    """The plaintext frontend the proxies forward to."""
    return env.client.service_client.config.target_host


def mtls_environment(address: str, certificates: Certificates, **extra: str) -> dict[str, str]:
    """Temporal's standard variables for an mTLS connection through the proxy at ``address``."""
    return {
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(certificates.ca),
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(certificates.client.certificate),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(certificates.client.private_key),
        **extra,
    }
