"""The one place that chooses where the ``reports`` activities write and record.

``build_activities`` is what every ``reports`` worker runs on (registered as the queue's
activities factory in :mod:`worker_reports.registration`). It reads, once:

* ``REPORTS_DIR`` (default ``.data/reports``): where reports are written; the API serves them
  from the same directory;
* ``SIDE_EFFECTS_DB``: the side-effect log chunks and finished reports are recorded in;
* ``REPORTS_ROW_DELAY_SECONDS`` (default 0): a pause per row, to watch progress or rehearse a
  worker restart on a small report;
* ``REPORTS_MAX_ROWS``, ``REPORTS_MAX_BYTES``, ``REPORTS_RETENTION_SECONDS`` and
  ``REPORTS_SWEEP_INTERVAL_SECONDS``: the size quota and retention (:mod:`worker_reports.limits`);
  each worker starts a :class:`~worker_reports.retention.RetentionSweeper` on its directory.

A deployment that keeps reports elsewhere builds its storage here.
"""

from __future__ import annotations

import os

from stand_ins.side_effect_log import SideEffectLog

from worker_reports.activities import ReportActivities
from worker_reports.limits import ReportLimits
from worker_reports.retention import RetentionSweeper
from worker_reports.storage import ReportStorage

__all__ = ["ROW_DELAY_ENV", "build_activities", "row_delay_from_environment"]

ROW_DELAY_ENV = "REPORTS_ROW_DELAY_SECONDS"


def row_delay_from_environment() -> float:
    """``REPORTS_ROW_DELAY_SECONDS`` as seconds; unset, negative or not a number means none."""
    try:
        return max(0.0, float(os.environ.get(ROW_DELAY_ENV) or 0))
    except ValueError:
        return 0.0


def build_activities() -> ReportActivities:
    """The ``reports`` activities with this deployment's storage (reads the env now).

    Also starts sweeping the storage's directory for expired files, for the life of the process.
    """
    storage = ReportStorage.from_environment()
    limits = ReportLimits.from_environment()
    RetentionSweeper(
        storage.root,
        retention_seconds=limits.retention_seconds,
        interval_seconds=limits.sweep_interval_seconds,
    ).start()
    return ReportActivities(
        storage=storage,
        effects=SideEffectLog.from_environment(),
        row_delay=row_delay_from_environment(),
        limits=limits,
    )
