"""The codec server as the Web UI and the ``temporal`` CLI use it: real process, real HTTP.

The server is started the way the local stack and the image start it (``serve`` with
``SERVE_PACKAGE=codec-server``), configured only by environment variables.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from contracts.orders import ORDER, OrderInput, OrderItem
from temporal_core.client.codec import ENCRYPTED_ENCODING
from temporal_core.client.key_ring import new_key_entry
from temporal_core.testing import DevServerProcess
from temporal_core.testing.dev_server import bundled_binary, free_port
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from tests.security.encrypted_stack import SERVE, client_for, codec_for, start_worker
from tests.workers.worker_processes import ServeProcess, wait_for_health, worker_env

KEYS = new_key_entry("k1")
TOKEN = secrets.token_urlsafe(24)
UI_ORIGIN = "http://127.0.0.1:8233"


@dataclass
class CodecServer:
    """A running codec server process and its base URL."""

    process: ServeProcess
    url: str


@pytest.fixture(scope="module")
async def dev_server() -> AsyncIterator[DevServerProcess]:
    """A dev server only this module's workers poll (they serve the real queue names)."""
    async with DevServerProcess() as server:
        yield server


@pytest.fixture(scope="module")
async def codec_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[CodecServer]:
    port = free_port()
    env = worker_env(
        "127.0.0.1:1",
        tmp_path_factory.mktemp("codec"),
        SERVE_PACKAGE="codec-server",
        CODEC_ENABLED="true",
        CODEC_KEYS=KEYS,
        CODEC_SERVER_PORT=str(port),
        CODEC_SERVER_TOKEN=TOKEN,
    )
    process = ServeProcess([SERVE], env=env)
    try:
        await wait_for_health(port, 200, process)
        yield CodecServer(process, f"http://127.0.0.1:{port}")
    finally:
        process.send(signal.SIGTERM)
        await process.wait_exit()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def encrypted_email(email: str) -> dict[str, object]:
    """One payload holding ``email`` as the SDK would store it, encrypted, in codec JSON."""
    plain = pydantic_data_converter.payload_converter.to_payloads([email])[0]
    sealed = codec_for(KEYS, "k1").encrypt(plain)
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
        "data": base64.b64encode(sealed.data).decode(),
    }


def run_cli(command: list[str]) -> str:
    """Run the ``temporal`` CLI; its standard output."""
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=True).stdout


def test_decode_returns_the_plaintext(codec_server: CodecServer, http: httpx.Client) -> None:
    body = {"payloads": [encrypted_email("ada@example.com")]}
    response = http.post(
        f"{codec_server.url}/decode",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}", "X-Namespace": "default"},
    )
    assert response.status_code == 200, response.text
    (payload,) = response.json()["payloads"]
    assert base64.b64decode(payload["data"]) == b'"ada@example.com"'
    assert base64.b64decode(payload["metadata"]["encoding"]) == b"json/plain"


def test_encode_then_decode_round_trips_through_the_path_token(
    codec_server: CodecServer, http: httpx.Client
) -> None:
    # The Web UI's form: the token is the endpoint's first path segment, no header.
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()}, "data": "IjEi"}
    encoded = http.post(f"{codec_server.url}/{TOKEN}/encode", json={"payloads": [plain]})
    assert encoded.status_code == 200, encoded.text
    (sealed,) = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCRYPTED_ENCODING
    decoded = http.post(f"{codec_server.url}/{TOKEN}/decode", json=encoded.json())
    assert decoded.json() == {"payloads": [plain]}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/decode", {}),
        ("/decode", {"Authorization": "Bearer not-the-token"}),
        ("/decode", {"Authorization": f"Basic {TOKEN}"}),
        ("/not-the-token-at-all/decode", {}),
        ("/encode", {}),
    ],
)
def test_a_call_without_the_token_is_refused(
    codec_server: CodecServer, http: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    response = http.post(
        f"{codec_server.url}{path}",
        json={"payloads": [encrypted_email("ada@example.com")]},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "ada@example.com" not in response.text


def test_a_body_that_is_not_payloads_is_a_400(
    codec_server: CodecServer, http: httpx.Client
) -> None:
    response = http.post(
        f"{codec_server.url}/decode",
        json={"payloads": "nope"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400


def test_the_web_ui_origin_passes_the_cors_preflight(
    codec_server: CodecServer, http: httpx.Client
) -> None:
    response = http.options(
        f"{codec_server.url}/{TOKEN}/decode",
        headers={
            "Origin": UI_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "x-namespace" in response.headers["access-control-allow-headers"].lower()

    other = http.options(
        f"{codec_server.url}/decode",
        headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_the_server_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    env = worker_env(
        "127.0.0.1:1", tmp_path, SERVE_PACKAGE="codec-server", CODEC_ENABLED="true", CODEC_KEYS=KEYS
    )
    env.pop("CODEC_SERVER_TOKEN", None)
    result = subprocess.run([SERVE], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "CODEC_SERVER_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


async def test_the_cli_shows_the_decoded_history_only_with_the_codec_endpoint(
    dev_server: DevServerProcess, codec_server: CodecServer, tmp_path: Path
) -> None:
    email = f"lin.{uuid.uuid4().hex[:8]}@example.com"
    order = OrderInput(
        order_id=f"C-{uuid.uuid4().hex[:8]}",
        customer_email=email,
        amount=17.25,
        items=[OrderItem(sku="BOOK-1", quantity=1)],
    )
    worker = await start_worker(
        "worker-orders", dev_server.address, tmp_path, keys=KEYS, current="k1"
    )
    try:
        client = await client_for(dev_server.address, codec_for(KEYS, "k1"))
        workflow_id = f"order-{order.order_id}"
        await ORDER.start(client, order, id=workflow_id)
        await ORDER.result(client, workflow_id)
    finally:
        worker.send(signal.SIGTERM)
        await worker.wait_exit()

    show = [
        str(bundled_binary("temporal")),
        "workflow",
        "show",
        "--workflow-id",
        workflow_id,
        "--address",
        dev_server.address,
        # The readable form: payloads printed as their JSON, once decoded.
        "--detailed",
    ]
    plain = await asyncio.to_thread(run_cli, show)
    assert email not in plain
    decoded = await asyncio.to_thread(
        run_cli, [*show, "--codec-endpoint", codec_server.url, "--codec-auth", f"Bearer {TOKEN}"]
    )
    assert email in decoded


def test_payloads_the_codec_did_not_encrypt_pass_through(
    codec_server: CodecServer, http: httpx.Client
) -> None:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    body = {
        "payloads": [
            {
                "metadata": {"encoding": base64.b64encode(plain.metadata["encoding"]).decode()},
                "data": base64.b64encode(plain.data).decode(),
            }
        ]
    }
    response = http.post(
        f"{codec_server.url}/decode", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.json() == body
