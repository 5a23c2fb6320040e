"""The local stack: Temporal dev server, workers, API and codec server: started, watched, stopped.

Order matters both ways. Temporal starts first and must answer its health check before anything
connects; the workers, the API and the codec server then start together and each must report
healthy on its own ``/health``. Stopping goes the other way: the API and the workers get SIGTERM
and drain while the server is still there to take their last results, and only then is the server
stopped.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Coroutine
from typing import Any

from temporal_core.cli.stop_signals import StopRequest, StopSignals
from temporal_core.client.codec_settings import CodecSettings
from temporal_core.client.settings import SettingsError
from temporal_core.testing.dev_server import dev_server_command, free_port

from dev_stack.auth import DevToken, dev_tokens, keys_file, token_script, uses_own_key_source
from dev_stack.codec_secrets import CodecSecrets, ensure_codec_secrets
from dev_stack.config import (
    LOOPBACK,
    WORKERS,
    StackConfig,
    StackError,
    check_installed,
    check_ports_free,
    serve_script,
    temporal_binary,
)
from dev_stack.processes import LogPrinter, ManagedProcess, describe_exit
from dev_stack.readiness import NotReadyError, http_ok, temporal_healthy, wait_until

__all__ = ["READY_MARKER", "READY_SUMMARY_END", "SAMPLE_ORDER", "Stack", "health_port_option"]

READY_MARKER = "stack ready"
"""Printed (after the ``dev |`` prefix) once every part is healthy; scripts may wait for it."""

READY_SUMMARY_END = "Press Ctrl-C to stop everything."
"""The last line of the ready summary that follows :data:`READY_MARKER`."""

SAMPLE_ORDER = (
    '{"order_id": "A-1001", "customer_email": "ada@example.com", "amount": 42.5, '
    '"items": [{"sku": "book-1", "quantity": 1}]}'
)
"""The order the ready message's curl example posts."""

_LAUNCHER = "dev"
_TEMPORAL = "temporal"
_API = "api"
_CODEC = "codec-server"
_TEMPORAL_STOP_GRACE = 10.0
_API_STOP_GRACE = 10.0
_WORKER_DEFAULT_DRAIN = 30.0
_STOP_SLACK = 10.0
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, a process manager's stop, and the terminal window closing: all stop cleanly."""


class Stack:
    """One run of the stack for a :class:`StackConfig`; :meth:`run` returns the exit status."""

    def __init__(self, config: StackConfig, *, printer: LogPrinter | None = None) -> None:
        """Nothing is checked or started until :meth:`run`."""
        self.config = config
        names = [_LAUNCHER, _TEMPORAL, *WORKERS, _API, _CODEC]
        self._printer = printer or LogPrinter(names)
        self._processes: dict[str, ManagedProcess] = {}
        self._health_ports: dict[str, int] = {}
        self._stop_requested = asyncio.Event()
        self._force = asyncio.Event()
        self._failure: str | None = None
        """What went wrong, as a phrase: "worker-orders exited with code 1"."""
        self._stop_signals = StopSignals()
        """A Ctrl-C reaches us twice under ``uv run dev`` (terminal and uv): one request."""
        self._own_auth_keys = not uses_own_key_source(os.environ)
        """Whether the stack makes the API's token keys (unless the user set ``API_AUTH_*``)."""
        self._tokens: list[DevToken] = []
        self._codec: CodecSecrets | None = None
        """The stack's key file and codec server token; None when encryption is turned off."""
        self._own_keys = True
        """False when the developer's environment names keys (CODEC_KEYS / CODEC_KEYS_FILE)."""

    def say(self, text: str) -> None:
        """Print one line from the launcher itself."""
        self._printer.line(_LAUNCHER, text)

    async def run(self) -> int:
        """Check, start, report ready, wait for Ctrl-C/SIGTERM or a death, stop; 0 if clean.

        Raises:
            StackError: a port is in use or a dev dependency is missing (nothing was started).
        """
        self._preflight()
        loop = asyncio.get_running_loop()
        for signum in _STOP_SIGNALS:
            loop.add_signal_handler(signum, self._on_signal, signum)
        started = time.monotonic()
        try:
            startup = asyncio.create_task(self._start_all())
            stop_wait = asyncio.create_task(self._stop_requested.wait())
            await asyncio.wait({startup, stop_wait}, return_when="FIRST_COMPLETED")
            if not startup.done():
                startup.cancel()
            ready = await self._startup_outcome(startup)
            if ready:
                self._print_ready(time.monotonic() - started)
                await stop_wait
            stop_wait.cancel()
        finally:
            await self._stop_all()
            for signum in _STOP_SIGNALS:
                loop.remove_signal_handler(signum)
        if self._failure is not None:
            self.say(f"stopped because {self._failure}")
            return 1
        self.say("stopped; every process has exited")
        return 0

    async def _startup_outcome(self, startup: asyncio.Task[None]) -> bool:
        try:
            await startup
        except asyncio.CancelledError:
            return False
        except NotReadyError as error:
            self._fail(str(error))
            return False
        except ChildProcessError:
            # The death itself was recorded by _on_process_exit.
            return False
        return self._failure is None and not self._stop_requested.is_set()

    # Checks -------------------------------------------------------------------------------

    def _preflight(self) -> None:
        config = self.config
        check_installed(("api", _CODEC, *WORKERS))
        encrypted = self._encryption_enabled()
        serve_script()
        if self._own_auth_keys:
            token_script()
        if config.starts_temporal:
            temporal_binary()
        ports: dict[str, int] = {}
        if config.starts_temporal:
            ports["Temporal gRPC, --temporal-port"] = config.temporal_port
            if config.ui_port is not None:
                ports["Temporal Web UI, --ui-port"] = config.ui_port
        for worker in WORKERS:
            if worker in config.worker_health_ports:
                label = f"{worker} health, {health_port_option(worker)}"
                ports[label] = config.worker_health_ports[worker]
        if encrypted:
            ports["codec server, --codec-port"] = config.codec_port
        api_label = "API, --api-port"
        _refuse_shared_ports({**ports, api_label: config.api_port})
        check_ports_free(ports)
        check_ports_free({api_label: config.api_port}, host=config.api_host)
        for worker in WORKERS:
            self._health_ports[worker] = config.worker_health_ports.get(worker) or free_port()
        config.data_dir.mkdir(parents=True, exist_ok=True)
        if encrypted:
            self._codec = ensure_codec_secrets(config.data_dir)

    def _encryption_enabled(self) -> bool:
        # The developer's CODEC_* environment is honoured as the services would read it; only
        # when it names no keys does the stack supply its own.
        try:
            settings = CodecSettings.load()
        except SettingsError as error:
            raise StackError(str(error).replace("\n", " ")) from None
        self._own_keys = settings.keys is None and settings.keys_file is None
        return settings.enabled

    # Starting -----------------------------------------------------------------------------

    async def _start_all(self) -> None:
        config = self.config
        if config.starts_temporal:
            temporal = await self._start(_TEMPORAL, self._temporal_command())
            await wait_until(
                lambda: temporal_healthy(config.temporal_url, config.namespace),
                timeout=config.ready_timeout,
                what=f"Temporal on {config.temporal_url}",
                alive=lambda: temporal.running,
            )
            if config.ui_port is not None:
                await wait_until(
                    lambda: http_ok(f"http://{LOOPBACK}:{config.ui_port}/", any_status=True),
                    timeout=config.ready_timeout,
                    what=f"the Temporal Web UI on port {config.ui_port}",
                    alive=lambda: temporal.running,
                )
        else:
            await self._check_external_temporal()
        # The workers and the API only need Temporal, not each other, so they start together;
        # nothing is announced as ready until all of them are, so no request can beat them.
        self.say(f"Temporal is up on {config.temporal_url}; starting the workers and the API")
        waits: list[Coroutine[Any, Any, None]] = []
        for worker in WORKERS:
            process = await self._start(worker, self._worker_command(worker))
            url = f"http://{LOOPBACK}:{self._health_ports[worker]}/health"
            waits.append(self._wait_healthy(process, url))
        if self._own_auth_keys:
            self._tokens = await dev_tokens(config.data_dir)
        api = await self._start(_API, self._api_command())
        waits.append(self._wait_healthy(api, f"{config.api_base_url}/health"))
        if self._codec is not None:
            codec = await self._start(_CODEC, [str(serve_script())])
            waits.append(self._wait_healthy(codec, f"{config.codec_url}/health"))
        await _all_of(waits)

    async def _wait_healthy(self, process: ManagedProcess, url: str) -> None:
        await wait_until(
            lambda: http_ok(url),
            timeout=self.config.ready_timeout,
            what=f"{process.name} ({url})",
            alive=lambda: process.running,
        )
        self.say(f"{process.name} is healthy")

    async def _check_external_temporal(self) -> None:
        config = self.config
        timeout = min(config.ready_timeout, 15.0)
        try:
            await wait_until(
                lambda: temporal_healthy(config.temporal_url, config.namespace),
                timeout=timeout,
                what=f"Temporal at {config.temporal_url}",
            )
        except NotReadyError:
            raise NotReadyError(
                f"cannot reach Temporal at {config.temporal_url} (--temporal-address) "
                f"within {timeout:g}s"
            ) from None

    async def _start(self, name: str, command: list[str]) -> ManagedProcess:
        process = ManagedProcess(
            name,
            command,
            env=self.environment_for(name),
            cwd=self.config.root,
            printer=self._printer,
            on_exit=self._on_process_exit,
        )
        self._processes[name] = process
        await process.start()
        return process

    def _temporal_command(self) -> list[str]:
        config = self.config
        return dev_server_command(
            port=config.temporal_port,
            ui_port=config.ui_port,
            ip=LOOPBACK,
            db_filename=config.temporal_db_file,
            namespace=config.namespace,
            # Its warnings are mostly about its own internal workers, loudest while stopping.
            log_level="error",
            extra_args=self._ui_codec_args(),
        )

    def _ui_codec_args(self) -> list[str]:
        if self._codec is None or self.config.ui_port is None:
            return []
        # The Web UI cannot send an Authorization header to a codec endpoint given this way, so
        # the token is the first path segment (codec_server.app accepts both).
        return ["--ui-codec-endpoint", f"{self.config.codec_url}/{self._codec.token}"]

    def _worker_command(self, worker: str) -> list[str]:
        command = [str(serve_script()), "--health-port", str(self._health_ports[worker])]
        if self.config.drain_timeout is not None:
            command += ["--drain-timeout", f"{self.config.drain_timeout:g}"]
        return command

    def _api_command(self) -> list[str]:
        config = self.config
        return [str(serve_script()), "--host", config.api_host, "--port", str(config.api_port)]

    def environment_for(self, name: str) -> dict[str, str]:
        """The child's environment: the user's, plus where Temporal is and what it serves.

        ``serve`` with ``SERVE_PACKAGE`` is exactly what ``uv run --package X serve`` runs (the
        shared dispatcher reads that variable first), without a second uv resolving the
        environment for each of the five processes.
        """
        config = self.config
        env = dict(os.environ)
        # One OTEL_SERVICE_NAME for five processes would merge them in every trace: let each
        # deployable name itself, as configure_telemetry does.
        env.pop("OTEL_SERVICE_NAME", None)
        env["PYTHONUNBUFFERED"] = "1"
        if name == _TEMPORAL:
            return env
        env["SERVE_PACKAGE"] = name
        env["TEMPORAL_URL"] = config.temporal_url
        # Temporal's spelling of the same setting: a developer's shell may export it for the
        # CLI, and the two disagreeing would stop every service (both are read, see settings).
        env["TEMPORAL_ADDRESS"] = config.temporal_url
        env["TEMPORAL_NAMESPACE"] = config.namespace
        data_paths = {
            "REPORTS_DIR": str(config.data_dir / "reports"),
            "SIDE_EFFECTS_DB": str(config.data_dir / "side_effects.sqlite3"),
        }
        for variable, value in data_paths.items():
            if config.data_dir_explicit or not env.get(variable):
                env[variable] = value
        if config.otlp_endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = config.otlp_endpoint
            env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
        if config.log_format:
            env["LOG_FORMAT"] = config.log_format
        if config.log_level:
            env["LOG_LEVEL"] = config.log_level
        if name == _API and self._own_auth_keys:
            env["API_AUTH_KEYS_FILE"] = str(keys_file(config.data_dir))
        if self._codec is not None and self._own_keys:
            env["CODEC_KEYS_FILE"] = str(self._codec.keys_file)
            env.setdefault("CODEC_CURRENT_KEY_ID", self._codec.current_key_id)
        if name == _CODEC and self._codec is not None:
            env["CODEC_SERVER_HOST"] = LOOPBACK
            env["CODEC_SERVER_PORT"] = str(config.codec_port)
            env.pop("CODEC_SERVER_TOKEN", None)
            env["CODEC_SERVER_TOKEN_FILE"] = str(self._codec.token_file)
            if config.ui_port is not None:
                env["CODEC_SERVER_CORS_ORIGINS"] = ",".join(
                    f"http://{host}:{config.ui_port}" for host in (LOOPBACK, "localhost")
                )
        return env

    # Watching -----------------------------------------------------------------------------

    def _on_process_exit(self, process: ManagedProcess) -> None:
        if process.stopping:
            return
        last = next((line for line in reversed(process.recent_output) if line.strip()), None)
        self._fail(
            f"{process.name} {describe_exit(process.returncode or 0)}",
            detail=f"last output of {process.name}: {last.strip()}" if last else None,
        )

    def _fail(self, what: str, *, detail: str | None = None) -> None:
        if self._failure is None:
            self._failure = what
            self.say(f"{what}; stopping the rest")
            if detail:
                self.say(f"  {detail}")
        self._stop_requested.set()

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        request = self._stop_signals.classify()
        if request is StopRequest.FIRST:
            self.say(f"{name} received: stopping (workers drain first)")
            self._stop_requested.set()
        elif self._force.is_set():
            return
        elif request is StopRequest.REPEATED:
            window = self._stop_signals.window
            self.say(
                f"{name} again within {window:g}s (repeated by the process group / uv): "
                "still stopping gracefully"
            )
        else:
            self.say(f"{name} again: killing whatever is still running")
            self._force.set()

    # Stopping -----------------------------------------------------------------------------

    async def _stop_all(self) -> None:
        front = [
            self._processes[name] for name in (_API, _CODEC, *WORKERS) if name in self._processes
        ]
        worker_grace = (self.config.drain_timeout or _WORKER_DEFAULT_DRAIN) + _STOP_SLACK
        if any(process.running for process in front):
            self.say("stopping the API, the codec server and the workers")
        await asyncio.gather(
            *(
                process.stop(
                    grace=_API_STOP_GRACE if process.name == _API else worker_grace,
                    force=self._force,
                )
                for process in front
            )
        )
        temporal = self._processes.get(_TEMPORAL)
        if temporal is not None:
            if temporal.running:
                self.say("stopping the Temporal server")
            await temporal.stop(grace=_TEMPORAL_STOP_GRACE, force=self._force)

    # Reporting ----------------------------------------------------------------------------

    def _print_ready(self, elapsed: float) -> None:
        config = self.config
        api = config.api_base_url
        places: list[tuple[str, str]] = [
            ("API docs", f"{api}/docs"),
            ("API health", f"{api}/health"),
        ]
        if config.starts_temporal and config.ui_port is not None:
            ui = f"http://{LOOPBACK}:{config.ui_port}/namespaces/{config.namespace}/workflows"
            places.append(("Temporal Web UI", ui))
        elif config.starts_temporal:
            places.append(("Temporal Web UI", "off (--no-ui)"))
        places.append(("Temporal", f"{config.temporal_url}, namespace {config.namespace}"))
        places += [
            (f"{worker} health", f"http://{LOOPBACK}:{self._health_ports[worker]}/health")
            for worker in WORKERS
        ]
        if self._codec is not None:
            places.append(("Codec server", f"{config.codec_url} (payloads are encrypted)"))
        else:
            places.append(("Payload encryption", "OFF (CODEC_ENABLED=false)"))
        if config.otlp_endpoint:
            places.append(("Traces", f"sent to {config.otlp_endpoint}"))
        width = max(len(label) for label, _ in places) + 2
        self.say(f"{READY_MARKER} in {elapsed:.1f}s")
        for label, where in places:
            self.say(f"  {label:<{width}}{where}")
        if self._tokens:
            self.say("Access tokens (12 h; `uv run token --help` signs others):")
            for dev in self._tokens:
                self.say(f"  {dev.name}: {dev.role}")
                self.say(f"    export {dev.variable}={dev.token}")
        else:
            self.say("Access tokens: from your identity provider (API_AUTH_* is set)")
        self.say("Try an order:")
        self.say(f'  curl -s -X POST {api}/orders -H "Authorization: Bearer $TOKEN" \\')
        self.say(f"    -H 'Content-Type: application/json' -d '{SAMPLE_ORDER}'")
        self.say('  curl -s -H "Authorization: Bearer $TOKEN" \\')
        self.say(f"    '{api}/orders/order-A-1001/result?wait=10'")
        if self._codec is not None and config.starts_temporal:
            self.say("Its history, decoded (without --codec-endpoint you see ciphertext):")
            self.say(
                f"  {temporal_binary()} workflow show -w order-A-1001 "
                f"--address {config.temporal_url} --codec-endpoint {config.codec_url} "
                f'--codec-auth "Bearer $(cat {self._codec.token_file})"'
            )
        self.say(READY_SUMMARY_END)


async def _all_of(waits: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``waits`` together; the first failure cancels the others and is raised."""
    tasks = [asyncio.create_task(wait) for wait in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when="FIRST_EXCEPTION")
    finally:
        for task in tasks:
            task.cancel()
    for task in done:
        error = None if task.cancelled() else task.exception()
        if error is not None:
            raise error


def _refuse_shared_ports(ports: dict[str, int]) -> None:
    owners: dict[int, str] = {}
    for label, port in ports.items():
        if port in owners:
            raise StackError(f"port {port} is given to both {owners[port]} and {label}")
        owners[port] = label


def health_port_option(worker: str) -> str:
    """The command-line option that sets ``worker``'s health port."""
    return f"--{worker.removeprefix('worker-')}-health-port"
