"""Shared fixtures: real Temporal servers from the bundled binaries (see temporal_core.testing)."""

from __future__ import annotations

import os
import sys

import pytest

pytest_plugins = ["temporal_core.testing.pytest_plugin"]

# Payload encryption is on by default and a service without a key refuses to start. Most tests
# run their workers in-process on the test server's (codec-less) client next to an API or a
# process built from the environment, so both sides must agree: plaintext, unless a test turns
# encryption on for itself (tests/security/test_payload_encryption.py and the stack tests, which
# drop every CODEC_* variable so `uv run dev` runs exactly as a developer's does).
os.environ.setdefault("CODEC_ENABLED", "false")

_exit_status: int | None = None


@pytest.fixture
def clean_temporal_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``TEMPORAL_*`` variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TEMPORAL_"):
            monkeypatch.delenv(name)
    return monkeypatch


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _exit_status
    _exit_status = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    # The temporalio SDK's Rust runtime threads can abort CPython's finalization
    # ("Fatal Python error: PyGILState_Release", temporalio/sdk-python issue 300), which would
    # turn a green run into exit code 134. Everything is reported by now, so leave without
    # finalizing, keeping pytest's own exit status.
    if _exit_status is not None and os.environ.get("PYTEST_FINALIZE") != "1":
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status)
