"""Leave a process that used the Temporal SDK with the exit code it meant.

The SDK's Rust runtime threads can abort CPython's finalisation ("Fatal Python error:
PyGILState_Release", exit 134; temporalio/sdk-python issue 300), which would hide the real exit
code from supervisors, scripts and tests. Services call :func:`exit_process` once everything is
shut down: it flushes traces, logs and the standard streams, then leaves without finalising.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from typing import NoReturn

__all__ = ["exit_process"]


def exit_process(code: int) -> NoReturn:
    """Flush spans, log handlers and stdout/stderr, then end the process with ``code``."""
    with contextlib.suppress(Exception):
        from opentelemetry import trace

        shutdown = getattr(trace.get_tracer_provider(), "shutdown", None)
        if callable(shutdown):
            shutdown()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
