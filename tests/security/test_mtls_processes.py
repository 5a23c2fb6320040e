"""The API and the orders worker, real processes, complete an order over mTLS through a proxy.

Both are configured only through environment variables with Temporal's standard names, as a
deployment against Temporal Cloud or a self-hosted mTLS frontend would be; neither is told the
dev server's plaintext address. A worker holding a certificate from another CA never gets in:
its health endpoint stays 503 and its log says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from temporal_core.testing import DevServerProcess, TlsProxy
from temporal_core.testing.dev_server import free_port

from tests.api.support import order
from tests.auth_tokens import KEY_SET_JSON, bearer
from tests.security.certificates import Certificates, mtls_environment
from tests.workers.worker_processes import ServeProcess, uv_serve, wait_for_health, worker_env

pytestmark = pytest.mark.e2e


@pytest.fixture
async def dev_server() -> AsyncIterator[DevServerProcess]:
    """A dev server of this test's own: a real orders worker polls the real queue names."""
    async with DevServerProcess() as server:
        yield server


@pytest.fixture
async def proxy(
    dev_server: DevServerProcess, certificates: Certificates
) -> AsyncIterator[TlsProxy]:
    """The mTLS endpoint in front of it."""
    async with TlsProxy(
        dev_server.address,
        certificate=certificates.server.certificate,
        private_key=certificates.server.private_key,
        client_ca=certificates.ca,
    ) as endpoint:
        yield endpoint


@pytest.fixture
def processes() -> Iterator[list[ServeProcess]]:
    """Every process a test starts; killed at the end whatever happened.

    ``ServeProcess.kill`` kills the process group it started, so ``uv run``'s child goes too.
    """
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.kill()


def environment(data_dir: Path, **temporal: str) -> dict[str, str]:
    """A child's environment: this test's files, no address but the ones in ``temporal``."""
    env = worker_env("unused:1", data_dir, LOG_LEVEL="INFO", **temporal)
    del env["TEMPORAL_URL"]  # worker_env's plaintext address: the processes get the proxy only
    return env


async def test_an_order_completes_over_mtls(
    proxy: TlsProxy,
    certificates: Certificates,
    tmp_path: Path,
    processes: list[ServeProcess],
) -> None:
    env = environment(tmp_path, **mtls_environment(proxy.address, certificates))
    worker_port, api_port = free_port(), free_port()
    worker = ServeProcess(
        [*uv_serve("worker-orders"), "--health-port", str(worker_port)],
        env={**env, "WORKER_HEALTH_PORT": str(worker_port)},
    )
    processes.append(worker)
    api = ServeProcess(
        [*uv_serve("api"), "--port", str(api_port)], env={**env, "API_AUTH_KEYS": KEY_SET_JSON}
    )
    processes.append(api)
    await wait_for_health(worker_port, 200, worker, timeout=90)
    await wait_for_health(api_port, 200, api, timeout=90)

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{api_port}", timeout=60, headers=bearer()
    ) as http:
        started = await http.post("/orders", json=order())
        assert started.status_code == 202, started.text
        result = await http.get(started.json()["result_url"], params={"wait": 30})
        assert result.status_code == 200, result.text
        assert result.json()["status"] == "completed"

    assert proxy.accepted >= 2  # at least one connection each from the API and the worker
    assert proxy.refusals == []


async def test_a_worker_with_a_certificate_from_another_ca_never_gets_in(
    proxy: TlsProxy,
    certificates: Certificates,
    tmp_path: Path,
    processes: list[ServeProcess],
) -> None:
    env = environment(
        tmp_path,
        **mtls_environment(
            proxy.address,
            certificates,
            TEMPORAL_TLS_CLIENT_CERT_PATH=str(certificates.stranger.certificate),
            TEMPORAL_TLS_CLIENT_KEY_PATH=str(certificates.stranger.private_key),
            TEMPORAL_CONNECT_TIMEOUT="2s",
        ),
    )
    port = free_port()
    worker = ServeProcess([*uv_serve("worker-orders"), "--health-port", str(port)], env=env)
    processes.append(worker)
    await worker.wait_for_output("retrying in", timeout=60)
    body = await wait_for_health(port, 503, worker, timeout=30)
    assert body["temporal"]["reachable"] is False
    assert body["service"] == "worker-orders"  # `serve` under uv run started the named package
    # However the refusal surfaced (it differs from attempt to attempt), the line says what to fix.
    assert f"did not accept the client certificate {certificates.stranger.certificate}" in (
        worker.output
    )
    assert proxy.accepted == 0
    assert "CERTIFICATE_VERIFY_FAILED" in proxy.refusals
