"""Shared fixtures: real Temporal servers from the bundled binaries (see temporal_core.testing)."""

from __future__ import annotations

import os
import sys

import pytest

pytest_plugins = ["temporal_core.testing.pytest_plugin"]

_exit_status: int | None = None


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
