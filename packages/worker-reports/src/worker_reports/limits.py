"""The report worker's abuse limits: a size quota per report, and how long files are kept.

Read once per worker from the environment (:func:`ReportLimits.from_environment`):

* ``REPORTS_MAX_ROWS`` (default 1,000,000, what the API accepts): a report asking for more rows
  fails at its first chunk, before anything is written;
* ``REPORTS_MAX_BYTES`` (default 512 MiB): a finished file larger than this is deleted and the
  report fails;
* ``REPORTS_RETENTION_SECONDS`` (default 7 days; 0 keeps files for good): how long a finished
  file is kept; :mod:`worker_reports.retention` deletes it after that;
* ``REPORTS_SWEEP_INTERVAL_SECONDS`` (default 300): how often the directory is swept.

Both quota failures are ``ApplicationError(type=REPORT_TOO_LARGE, non_retryable=True)``, the
code the contract names, which the API answers as the ``report-too-large`` problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from contracts.reports import REPORT_TOO_LARGE
from temporalio.exceptions import ApplicationError

__all__ = [
    "MAX_BYTES_ENV",
    "MAX_ROWS_ENV",
    "RETENTION_ENV",
    "SWEEP_INTERVAL_ENV",
    "InvalidLimitError",
    "ReportLimits",
    "too_large",
]

MAX_ROWS_ENV = "REPORTS_MAX_ROWS"
MAX_BYTES_ENV = "REPORTS_MAX_BYTES"
RETENTION_ENV = "REPORTS_RETENTION_SECONDS"
SWEEP_INTERVAL_ENV = "REPORTS_SWEEP_INTERVAL_SECONDS"


class InvalidLimitError(ValueError):
    """A limit variable that is not a number of the right kind; the message names it."""


def _number(name: str, default: float, *, minimum: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidLimitError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise InvalidLimitError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


@dataclass(frozen=True)
class ReportLimits:
    """The quota and retention one worker applies."""

    max_rows: int = 1_000_000
    max_bytes: int = 512 * 1024 * 1024
    retention_seconds: float = 7 * 24 * 3600.0
    """0: keep finished files for good."""
    sweep_interval_seconds: float = 300.0

    @classmethod
    def from_environment(cls) -> ReportLimits:
        """The limits the ``REPORTS_*`` variables set; raises ``InvalidLimitError`` if wrong."""
        default = cls()
        return cls(
            max_rows=int(_number(MAX_ROWS_ENV, default.max_rows, minimum=1)),
            max_bytes=int(_number(MAX_BYTES_ENV, default.max_bytes, minimum=1)),
            retention_seconds=_number(RETENTION_ENV, default.retention_seconds, minimum=0),
            sweep_interval_seconds=_number(
                SWEEP_INTERVAL_ENV, default.sweep_interval_seconds, minimum=0.05
            ),
        )


def too_large(report_id: str, *, limit: str, maximum: int, actual: int) -> ApplicationError:
    """The error a report over the quota fails with (never retried: it would fail again)."""
    return ApplicationError(
        f"report {report_id} has {actual} {limit}, more than the {maximum} allowed",
        {"limit": limit, "maximum": maximum},
        type=REPORT_TOO_LARGE,
        non_retryable=True,
    )
