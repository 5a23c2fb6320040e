"""The codec server's HTTP app: ``POST /encode`` and ``POST /decode`` as Temporal defines them.

The Temporal Web UI and ``temporal ... --codec-endpoint`` post ``{"payloads": [...]}`` and
expect the same shape back (:mod:`codec_server.payloads_json`), with the namespace in the
``X-Namespace`` header. Anyone who can call ``/decode`` reads every customer's data, so each
call must carry the shared token, either as ``Authorization: Bearer <token>`` (the CLI's
``--codec-auth``) or as the first path segment: ``--ui-codec-endpoint`` gives the Web UI no way
to send a header, so its endpoint is configured as ``http://host:port/<token>`` and it posts to
``/<token>/decode``. That is why the server writes no access log: the path may hold the token.

CORS allows the Web UI's origin (the browser calls the server directly, from the UI's page).
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import Scope
from temporal_core.client.codec import EncryptionCodec, PayloadDecryptionError

from codec_server.payloads_json import PayloadsFormatError, payloads_from_json, payloads_to_json
from codec_server.settings import CodecServerSettings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


def create_app(codec: EncryptionCodec, settings: CodecServerSettings) -> FastAPI:
    """The app serving ``codec`` to callers that hold ``settings``' token."""
    token = settings.bearer_token()
    allowed_namespaces = frozenset(settings.namespaces)

    def authorised(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        path_token: str | None = request.path_params.get("token")
        given = path_token
        if given is None and authorization is not None:
            scheme, _, value = authorization.partition(" ")
            given = value.strip() if scheme.lower() == "bearer" else None
        if given is None or not secrets.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                status_code=401,
                detail="a valid codec server token is required",
                headers={"WWW-Authenticate": 'Bearer realm="codec-server"'},
            )

    def namespace_allowed(x_namespace: Annotated[str | None, Header()] = None) -> None:
        if allowed_namespaces and x_namespace not in allowed_namespaces:
            raise HTTPException(
                status_code=403, detail=f"namespace {x_namespace!r} is not served here"
            )

    async def body_payloads(request: Request) -> list[Any]:
        try:
            return payloads_from_json(await request.json())
        except (PayloadsFormatError, ValueError) as error:
            raise HTTPException(status_code=400, detail=str(error)) from None

    guarded = APIRouter(dependencies=[Depends(authorised), Depends(namespace_allowed)])

    async def encode(request: Request) -> dict[str, Any]:
        payloads = await body_payloads(request)
        return payloads_to_json(await codec.encode(payloads))

    async def decode(request: Request) -> dict[str, Any]:
        payloads = await body_payloads(request)
        try:
            return payloads_to_json(await codec.decode(payloads))
        except PayloadDecryptionError as error:
            # The UI shows this text next to the payload; it names a key id, never a key.
            raise HTTPException(status_code=400, detail=str(error)) from None

    for prefix in ("", "/{token}"):
        guarded.add_api_route(f"{prefix}/encode", encode, methods=["POST"])
        guarded.add_api_route(f"{prefix}/decode", decode, methods=["POST"])

    app = FastAPI(
        title="Temporal codec server",
        description="Temporal's remote codec endpoints over the payload encryption codec.",
        version="0.1.0",
        openapi_url=None,  # nothing to document for browsers; the wire format is Temporal's
        # FastAPI traces every request itself once a tracer provider is set; health probes (the
        # stack's, Kubernetes') would only add noise to the traces, as in the API.
        telemetry={"exclude": _is_health_probe},
    )

    @app.get("/health")
    async def health() -> dict[str, str]:  # pyright: ignore[reportUnusedFunction]
        return {"status": "ok"}

    app.include_router(guarded)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )
    return app


def _is_health_probe(scope: Scope) -> bool:
    return scope.get("path") == "/health"
