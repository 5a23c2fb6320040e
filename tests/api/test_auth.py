"""Bearer-token authentication of the real app over real HTTP: who gets in, and what others hear.

Every refusal is problem+json with ``WWW-Authenticate: Bearer ...`` (RFC 6750). Health, metrics
and the docs stay open. A JWKS-URL configuration is proven against a real local HTTP server
serving an RS256 public key set; ``API_AUTH_ENABLED=false`` and bad key settings are proven
through the real ``serve`` command.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from api.auth.dev_keys import new_key_set
from api.auth.scopes import ORDERS_READ, ORDERS_WRITE
from api.cli import main
from api.main import create_app
from api.settings import ApiSettings
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from temporal_core import TemporalSettings
from temporal_core.testing.dev_server import free_port

from tests.api.support import ApiStack, order, serve
from tests.api.test_orders import assert_problem
from tests.auth_tokens import KEY_SET, KEY_SET_JSON, bearer, claims, signed, tampered, token

PROTECTED = "/orders/order-nobody/status"
"""A route that needs ``orders:read``; nothing about Temporal is asked before the token passes."""


def unsigned(payload: dict[str, Any]) -> str:
    """A token with ``alg: none`` and no signature, naming the tests' key id."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    header = {"alg": "none", "typ": "JWT", "kid": KEY_SET["keys"][0]["kid"]}
    return f"{part(header)}.{part(payload)}."


def hmac_signed(payload: dict[str, Any], secret: bytes, *, key_id: str) -> str:
    """An HS256 token made by hand (PyJWT itself refuses to key HMAC with a public key)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": key_id}).encode()
    signing_input = f"{part(header)}.{part(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


def other_key_set_with_the_same_kid() -> dict[str, Any]:
    return new_key_set(KEY_SET["keys"][0]["kid"])


REFUSED_TOKENS: dict[str, str] = {
    "malformed": "not-a-jwt",
    "bad signature": tampered(signed(claims())),
    "other key, same key id": signed(claims(), other_key_set_with_the_same_kid()),
    "unknown key id": signed(claims(), new_key_set("somebody-else")),
    "expired": signed(claims(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200)),
    "wrong issuer": signed(claims(iss="https://evil.example.com/")),
    "wrong audience": signed(claims(aud="another-api")),
    "no subject": signed(claims(sub=None)),
    "no expiry": signed(claims(exp=None)),
    "alg none": unsigned(claims()),
}


def assert_challenged(response: httpx.Response, *, invalid_token: bool) -> dict[str, Any]:
    problem = assert_problem(response, 401, "not-authenticated")
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer "), challenge
    assert ('error="invalid_token"' in challenge) is invalid_token, challenge
    return problem


async def test_a_request_without_a_token_is_401_with_a_bearer_challenge(
    stack: ApiStack,
) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as anonymous:
        for method, path, body in (
            ("GET", PROTECTED, None),
            ("POST", "/orders", order()),
            ("POST", "/approvals", {"request_id": "x", "approver_email": "a@example.com"}),
            ("GET", "/reports/report-x/download", None),
            ("GET", "/reports/schedules/x", None),
        ):
            response = await anonymous.request(method, path, json=body)
            problem = assert_challenged(response, invalid_token=False)
            assert "Authorization: Bearer" in problem["detail"]
        # Not "Bearer": refused the same way.
        basic = await anonymous.get(PROTECTED, headers={"Authorization": "Basic YTpi"})
        assert_challenged(basic, invalid_token=False)


@pytest.mark.parametrize("case", sorted(REFUSED_TOKENS))
async def test_an_invalid_token_is_401_saying_why(stack: ApiStack, case: str) -> None:
    headers = {"Authorization": f"Bearer {REFUSED_TOKENS[case]}"}
    response = await stack.http.get(PROTECTED, headers=headers)
    problem = assert_challenged(response, invalid_token=True)
    # The reason is safe to show and never echoes the token.
    assert REFUSED_TOKENS[case] not in problem["detail"]


async def test_the_same_claims_properly_signed_get_in(stack: ApiStack) -> None:
    response = await stack.http.get(
        PROTECTED, headers={"Authorization": f"Bearer {signed(claims())}"}
    )
    assert_problem(response, 404, "workflow-not-found")


async def test_a_missing_scope_is_403_naming_it(stack: ApiStack) -> None:
    reader = bearer("reader", [ORDERS_READ])
    response = await stack.http.post("/orders", json=order(), headers=reader)
    problem = assert_problem(response, 403, "missing-scope")
    assert problem["required_scopes"] == [ORDERS_WRITE]
    assert ORDERS_WRITE in problem["detail"]
    challenge = response.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{ORDERS_WRITE}"' in challenge
    # The scope it holds is enough for what it covers.
    allowed = await stack.http.get(PROTECTED, headers=reader)
    assert_problem(allowed, 404, "workflow-not-found")


async def test_health_metrics_and_the_docs_stay_open(stack: ApiStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as anonymous:
        for path in ("/health", "/health/live", "/metrics", "/openapi.json", "/docs", "/redoc"):
            response = await anonymous.get(path)
            assert response.status_code == 200, (path, response.text)


async def test_the_openapi_document_shows_the_bearer_scheme_and_each_operation_s_scope(
    stack: ApiStack,
) -> None:
    spec = (await stack.http.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    secured = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if path.startswith(("/health", "/metrics")):
                assert "security" not in operation, (method, path)
                continue
            [requirement] = operation["security"]
            [scopes] = requirement.values()
            assert len(scopes) == 1, (method, path, scopes)
            assert f"`{scopes[0]}`" in operation["description"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
            secured += 1
    assert secured >= 20
    approve = spec["paths"]["/approvals/{workflow_id}/approve"]["post"]
    assert approve["security"] == [{"bearer": ["approvals:decide"]}]


# --- a JWKS URL -----------------------------------------------------------------------------------


class JwksServer:
    """A real HTTP server on loopback serving one RS256 public key as a JWK set."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private_key.public_key()))
        self.key_id = "idp-key-1"
        body = json.dumps(
            {"keys": [public | {"kid": self.key_id, "alg": "RS256", "use": "sig"}]}
        ).encode()
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                if self.path != "/.well-known/jwks.json":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/.well-known/jwks.json"

    def sign(self, payload: dict[str, Any], *, key: Any = None) -> str:
        return jwt.encode(
            payload, key or self.private_key, algorithm="RS256", headers={"kid": self.key_id}
        )

    @contextlib.contextmanager
    def running(self) -> Iterator[JwksServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join()


@pytest.fixture
def identity_provider() -> Iterator[JwksServer]:
    with JwksServer().running() as server:
        yield server


@pytest.fixture
async def idp_app_url(identity_provider: JwksServer) -> AsyncIterator[str]:
    issuer = "https://idp.example.com/"
    settings = ApiSettings(
        auth_jwks_url=identity_provider.url, auth_issuer=issuer, auth_audience="orders-api"
    )
    app = create_app(settings, temporal_settings=TemporalSettings(enabled=False))
    async with serve(app) as url:
        yield url


async def test_tokens_of_an_identity_provider_are_verified_with_its_jwks_url(
    identity_provider: JwksServer, idp_app_url: str
) -> None:
    good = claims(iss="https://idp.example.com/", aud="orders-api")
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = identity_provider.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    async with httpx.AsyncClient(base_url=idp_app_url, timeout=30) as http:

        async def status_with(value: str) -> httpx.Response:
            return await http.get(PROTECTED, headers={"Authorization": f"Bearer {value}"})

        # Past authentication, the request reaches the route (Temporal is off here: 503).
        accepted = await status_with(identity_provider.sign(good))
        assert_problem(accepted, 503, "temporal-disabled")
        assert identity_provider.requests >= 1

        forged = await status_with(identity_provider.sign(good, key=stranger_key))
        assert_challenged(forged, invalid_token=True)
        # The classic confusion: an HMAC token keyed with the RSA public key must not verify.
        confused = hmac_signed(good, public_pem, key_id=identity_provider.key_id)
        assert_challenged(await status_with(confused), invalid_token=True)
        # Our own tests' key set means nothing to this API.
        assert_challenged(await status_with(token()), invalid_token=True)
        wrong_audience = identity_provider.sign(claims(iss="https://idp.example.com/"))
        assert_challenged(await status_with(wrong_audience), invalid_token=True)


async def test_an_unreachable_jwks_url_is_401_not_a_crash() -> None:
    settings = ApiSettings(auth_jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json")
    app = create_app(settings, temporal_settings=TemporalSettings(enabled=False))
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        response = await http.get(PROTECTED, headers={"Authorization": f"Bearer {token()}"})
    problem = assert_challenged(response, invalid_token=True)
    assert "could not be fetched" in problem["detail"]


# --- the serve command ----------------------------------------------------------------------------


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    return int(raised.value.code or 0)


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"API_AUTH_KEYS": "not json"}, "API_AUTH_KEYS"),
        ({"API_AUTH_KEYS": '{"keys": [{"kty": "nope"}]}'}, "API_AUTH_KEYS"),
        ({"API_AUTH_KEYS_FILE": "/no/such/keys.json"}, "API_AUTH_KEYS_FILE"),
        ({"API_AUTH_JWKS_URL": "ftp://idp.example.com/keys"}, "API_AUTH_JWKS_URL"),
        ({"API_AUTH_KEYS": KEY_SET_JSON, "API_AUTH_JWKS_URL": "https://x/"}, "API_AUTH_KEYS"),
        ({}, "API_AUTH_KEYS"),
    ],
    ids=["not-json", "not-a-key", "missing-file", "bad-url", "two-sources", "no-source"],
)
def test_bad_key_settings_exit_2_naming_the_variable(
    environment: dict[str, str],
    named: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable in ("API_AUTH_KEYS", "API_AUTH_KEYS_FILE", "API_AUTH_JWKS_URL"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert exit_code([]) == 2
    error = capsys.readouterr().err
    assert named in error, error
    assert "Traceback" not in error


async def test_auth_turned_off_is_warned_about_at_start_up_and_lets_calls_through(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("API_AUTH_", "OTEL_"))
    }
    env |= {
        "API_AUTH_ENABLED": "false",
        "TEMPORAL_ENABLED": "false",
        "API_PORT": str(port),
        "SERVE_PACKAGE": "api",
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "serve"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            async with asyncio.timeout(60):
                while True:
                    assert process.returncode is None, "serve exited early"
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/health/live")).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            # No token, and the call gets through to the route (Temporal is off: 503).
            assert_problem(await http.get(PROTECTED), 503, "temporal-disabled")
        process.send_signal(signal.SIGTERM)
        assert process.stderr is not None
        stderr = (await asyncio.wait_for(process.stderr.read(), timeout=30)).decode()
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    warnings = [line for line in stderr.splitlines() if "AUTHENTICATION IS OFF" in line]
    assert len(warnings) == 1, stderr
    assert "WARNING" in warnings[0]
    assert "API_AUTH_ENABLED=false" in warnings[0]
