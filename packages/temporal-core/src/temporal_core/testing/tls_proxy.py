"""``TlsProxy``: a real TLS (optionally mTLS) endpoint in front of a plaintext Temporal frontend.

The dev server speaks plaintext gRPC only. To test a client's TLS settings (a CA, a client
certificate, a server name) against something that really checks them, put this proxy in
front of it: it terminates TLS with the given certificate, advertises ``h2`` by ALPN as gRPC
servers do, optionally demands a client certificate signed by a given CA, and pipes the
decrypted bytes to the server. Handshakes it refused are kept in :attr:`TlsProxy.refusals`,
so a test can tell "refused by TLS" from "nothing listened".

    async with TlsProxy(dev_server_address, certificate=cert, private_key=key,
                        client_ca=ca) as proxy:
        settings = TemporalSettings(url=proxy.address, tls_ca_cert_path=..., ...)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["TlsProxy"]

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_HANDSHAKE_TIMEOUT = 10.0


class TlsProxy:
    """Terminates TLS on ``host``:free port and forwards each connection to ``target``.

    Use as an async context manager (or :meth:`start`/:meth:`stop`); stopping closes every
    connection it opened.
    """

    def __init__(
        self,
        target: str,
        *,
        certificate: Path,
        private_key: Path,
        client_ca: Path | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        """Serve ``certificate`` (a PEM chain) with ``private_key``.

        ``client_ca``: demand a client certificate signed by this CA (mTLS); None accepts
        clients without one.
        """
        target_host, _, target_port = target.rpartition(":")
        self._target = (target_host.strip("[]"), int(target_port))
        self._host = host
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.load_cert_chain(certificate, private_key)
        self._context.set_alpn_protocols(["h2"])
        if client_ca is not None:
            self._context.verify_mode = ssl.CERT_REQUIRED
            self._context.load_verify_locations(cafile=client_ca)
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.refusals: list[str] = []
        """Why each refused handshake failed, e.g. ``PEER_DID_NOT_RETURN_A_CERTIFICATE``."""
        self.accepted = 0
        """How many TLS handshakes succeeded."""

    @property
    def address(self) -> str:
        """``host:port`` to connect to (only while started)."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        port = self._server.sockets[0].getsockname()[1]
        return f"{self._host}:{port}"

    async def start(self) -> None:
        """Listen on a free port of ``host``."""
        # Plain TCP first, TLS in the handler: so a refused handshake is seen and recorded here
        # rather than only logged by the event loop.
        self._server = await asyncio.start_server(self._accept, self._host, 0)

    async def stop(self) -> None:
        """Stop listening and close every proxied connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._proxy(reader, writer)
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await writer.start_tls(self._context, ssl_handshake_timeout=_HANDSHAKE_TIMEOUT)
        except (ssl.SSLError, ConnectionError, TimeoutError) as error:
            reason = getattr(error, "reason", None) or type(error).__name__
            self.refusals.append(str(reason))
            logger.debug("TLS handshake refused: %s", error)
            return
        self.accepted += 1
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            upstream_writer.close()
            with contextlib.suppress(Exception):
                await upstream_writer.wait_closed()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until ``source`` ends or either side fails, then close ``sink``."""
    try:
        while chunk := await source.read(_CHUNK):
            sink.write(chunk)
            await sink.drain()
    except (ConnectionError, ssl.SSLError):
        pass  # the other direction sees the close too and ends
    finally:
        sink.close()
