"""``TemporalClientService``: one lazily connected, shared Temporal client per process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import temporalio.client
from temporalio.client import Client
from temporalio.converter import PayloadCodec
from temporalio.service import RetryConfig, TLSConfig

from temporal_core.client.codec import encrypted_data_converter
from temporal_core.client.settings import TemporalSettings
from temporal_core.client.start_defaults import StartDefaultsInterceptor
from temporal_core.client.tls_failure import tls_failure_hint

__all__ = ["TemporalClientService", "TemporalDisabledError", "TemporalUnavailableError"]

logger = logging.getLogger(__name__)

DEFAULT_HEALTH_TIMEOUT = 2.0


class TemporalDisabledError(RuntimeError):
    """``get_client()`` was called while ``TEMPORAL_ENABLED`` is false."""


class TemporalUnavailableError(ConnectionError):
    """The Temporal server could not be reached within the connect timeout."""


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    """The SDK TLS argument for ``settings``: False, True (system roots) or a ``TLSConfig``."""
    if not settings.uses_tls:
        return False
    if not settings.has_tls_material:
        return True
    key = settings.tls_client_key_data
    return TLSConfig(
        server_root_ca_cert=_pem(settings.tls_ca_cert_path, settings.tls_server_ca_cert_data),
        client_cert=_pem(settings.tls_client_cert_path, settings.tls_client_cert_data),
        client_private_key=_pem(
            settings.tls_client_key_path, key.get_secret_value() if key is not None else None
        ),
        domain=settings.tls_server_name,
    )


def _pem(path: Path | None, data: str | None) -> bytes | None:
    if path is not None:
        return path.read_bytes()
    return data.encode() if data is not None else None


def describe_connection(settings: TemporalSettings) -> str:
    """How ``settings`` connect, for error messages: address, namespace and the TLS in use.

    Names files and the server name, never key material or the API key.
    """
    parts = [f"{settings.url} (namespace {settings.namespace}"]
    if settings.uses_tls:
        trusted = settings.tls_ca_cert_path or (
            "an inline CA" if settings.tls_server_ca_cert_data else "the system's CAs"
        )
        parts.append(f"TLS trusting {trusted}")
        if settings.tls_server_name:
            parts.append(f"server name {settings.tls_server_name}")
        if settings.tls_client_cert_path or settings.tls_client_cert_data:
            parts.append(f"client certificate {settings.tls_client_cert_path or 'given inline'}")
        else:
            parts.append("no client certificate")
    else:
        parts.append("plaintext")
    if settings.api_key is not None:
        parts.append("API key")
    return ", ".join(parts) + ")"


class TemporalClientService:
    """Owns the process's Temporal client: connect once on first use, share it, check health.

    Safe under concurrent first calls (one connection is made); a failed attempt is not cached,
    so the next call tries again and the service recovers when the server comes back.
    """

    def __init__(
        self,
        settings: TemporalSettings | None = None,
        *,
        interceptors: Sequence[temporalio.client.Interceptor] | None = None,
        health_timeout: float = DEFAULT_HEALTH_TIMEOUT,
        payload_codec: PayloadCodec | None = None,
    ) -> None:
        """Keep the settings; nothing connects until ``get_client()``.

        ``interceptors`` are added to the client's; tracing across the server comes from the
        telemetry plugin (:func:`~temporal_core.observability.tracing.temporal_plugins`), and the
        settings' workflow start defaults are always applied (:class:`StartDefaultsInterceptor`).
        ``payload_codec`` wraps every payload after the pydantic converter; the API and the
        workers pass the one ``load_payload_codec()`` (``CODEC_*`` settings) returns.
        """
        self._settings = settings or TemporalSettings.load()
        self._interceptors = interceptors
        self._health_timeout = health_timeout
        self._payload_codec = payload_codec
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    @property
    def settings(self) -> TemporalSettings:
        """The settings this service connects with."""
        return self._settings

    @property
    def is_enabled(self) -> bool:
        """Whether Temporal is enabled (``TEMPORAL_ENABLED``)."""
        return self._settings.enabled

    @property
    def url(self) -> str:
        """The frontend address (``TEMPORAL_URL``)."""
        return self._settings.url

    @property
    def namespace(self) -> str:
        """The namespace (``TEMPORAL_NAMESPACE``)."""
        return self._settings.namespace

    @property
    def is_connected(self) -> bool:
        """Whether a client has been created (it may still lose the server later)."""
        return self._client is not None

    async def get_client(self) -> Client:
        """Return the shared client, connecting on first use.

        Raises:
            TemporalDisabledError: Temporal is disabled in settings.
            TemporalUnavailableError: the server did not answer within the connect timeout.
        """
        if self._client is not None:
            return self._client
        if not self.is_enabled:
            raise TemporalDisabledError("Temporal is disabled (TEMPORAL_ENABLED=false)")
        async with self._lock:
            if self._client is None:
                self._client = await self._connect()
            return self._client

    async def _connect(self) -> Client:
        settings = self._settings
        # Asked at connect time: the plugin traces only once configure_telemetry has installed
        # the exporting provider, which every service does before it connects.
        from temporal_core.observability.tracing import temporal_plugins

        interceptors = self._interceptors or ()
        timeout = settings.connect_timeout.total_seconds()
        try:
            client = await asyncio.wait_for(
                Client.connect(
                    settings.url,
                    namespace=settings.namespace,
                    api_key=settings.api_key.get_secret_value() if settings.api_key else None,
                    tls=tls_config(settings),
                    rpc_metadata=settings.grpc_meta,
                    data_converter=encrypted_data_converter(self._payload_codec),
                    interceptors=[*interceptors, StartDefaultsInterceptor(settings)],
                    plugins=temporal_plugins(),
                    identity=settings.identity,
                    connect_timeout=settings.connect_timeout,
                    # Calls made while the server is down should fail fast enough for an HTTP
                    # request to answer 503, not hang on the SDK's default retry schedule.
                    retry_config=RetryConfig(
                        initial_interval_millis=100,
                        max_interval_millis=1000,
                        max_retries=3,
                        max_elapsed_time_millis=int(timeout * 1000),
                    ),
                ),
                timeout=timeout,
            )
        except (TimeoutError, RuntimeError, OSError) as error:
            # The SDK's message for a refused handshake is the bare transport error; saying which
            # certificates and name were used is what lets a user see what to fix.
            reason = str(error) or type(error).__name__
            raise TemporalUnavailableError(
                f"cannot reach Temporal at {describe_connection(settings)}: {reason}"
                f"{tls_failure_hint(settings, reason)}"
            ) from error
        logger.info("connected to Temporal at %s namespace %s", settings.url, settings.namespace)
        return client

    async def health_check(self, timeout: float | None = None) -> bool:
        """True when the server answers a health check within ``timeout`` seconds; never raises."""
        if not self.is_enabled:
            return False
        budget = timeout if timeout is not None else self._health_timeout
        try:
            async with asyncio.timeout(budget):
                client = await self.get_client()
                return await client.service_client.check_health(timeout=timedelta(seconds=budget))
        except Exception:  # a health check reports, it does not raise
            logger.debug("Temporal health check failed", exc_info=True)
            return False

    async def close(self) -> None:
        """Forget the client; the next ``get_client()`` connects again."""
        async with self._lock:
            self._client = None
