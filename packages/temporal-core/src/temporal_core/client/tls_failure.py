"""What to check when a TLS connection to Temporal fails, read from the SDK's reason string.

The SDK reports every refused handshake as a bare transport error, and the same refusal reads
differently from one attempt to the next. With TLS 1.3 the client finishes its side of the
handshake before the server has checked the client's certificate, so a server that refuses the
certificate just closes the connection, and the first gRPC call on it fails with whatever the
race produced: rustls's missing ``close_notify``, a reset, a broken pipe, or one of hyper's
cancellations (``connection closed``, ``connection was not ready``) when the call was still
queued. All of them mean the same thing to a user, so all of them get the same hint.
"""

from __future__ import annotations

from temporal_core.client.settings import TemporalSettings

__all__ = ["tls_failure_hint"]

# rustls rejected the server's certificate (Debug and Display spellings).
_SERVER_CERTIFICATE_REJECTED = ("InvalidCertificate", "invalid peer certificate")

# The server ended the connection during or just after the handshake: a TLS alert, or the
# connection closing under the first call (hyper, tonic and rustls each word it differently).
_SERVER_CLOSED = (
    "AlertReceived",
    "received fatal alert",
    "handshake",  # also rustls's HandshakeFailure alert: markers match case-insensitively
    "close_notify",
    "UnexpectedEof",
    "ConnectionReset",
    "connection reset",
    "BrokenPipe",
    "broken pipe",
    "connection closed",
    # hyper cancels a queued call when its connection dies; "connection was not ready" is the
    # wording when the call was queued before the connection's first poll.
    "hyper::Error(Canceled",
    "connection was not ready",
    "transport error",
)


def tls_failure_hint(settings: TemporalSettings, reason: str) -> str:
    """A sentence to append to a connection failure: which settings decide it and what to check.

    ``reason`` is the SDK's error text. Empty without TLS, and for failures TLS does not explain
    (nothing listening, a timeout): a hint there would send the user to the wrong setting.
    """
    if not settings.uses_tls:
        return ""
    if any(marker in reason for marker in _SERVER_CERTIFICATE_REJECTED):
        return (
            ". The server's certificate was not accepted: it must be signed by the CA in "
            "TEMPORAL_TLS_SERVER_CA_CERT_PATH (or a system CA) and carry the name in "
            "TEMPORAL_TLS_SERVER_NAME (or the host of the address)"
        )
    lowered = reason.lower()
    if any(marker.lower() in lowered for marker in _SERVER_CLOSED):
        return (
            ". The server closed the TLS connection: if it requires mTLS, it did not accept the "
            f"client certificate{_client_certificate(settings)}. A server that picks its "
            "certificate by name also closes the connection when it does not serve the name in "
            "TEMPORAL_TLS_SERVER_NAME (or the host of the address)"
        )
    return ""


def _client_certificate(settings: TemporalSettings) -> str:
    if settings.tls_client_cert_path is not None:
        return (
            f" {settings.tls_client_cert_path} (TEMPORAL_TLS_CLIENT_CERT_PATH, key in "
            "TEMPORAL_TLS_CLIENT_KEY_PATH): it must be signed by a CA the server trusts for "
            "clients, and be current"
        )
    if settings.tls_client_cert_data is not None:
        return (
            " given in TEMPORAL_TLS_CLIENT_CERT_DATA: it must be signed by a CA the server "
            "trusts for clients, and be current"
        )
    return (
        ": none is configured; set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH"
    )
