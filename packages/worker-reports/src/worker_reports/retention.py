"""Deleting finished report files once their retention period is over.

:class:`RetentionSweeper` runs in the report worker process, on a daemon thread that sweeps the
reports directory every ``REPORTS_SWEEP_INTERVAL_SECONDS``: a finished file older than
``REPORTS_RETENTION_SECONDS`` is deleted, and so is the part directory of a report that stopped
without cleaning up (its workflow failed or was terminated) once it has been idle that long, and
at least longer than any report may run. A thread, not an asyncio task: the sweep only touches the
file system, and it must go on whatever the worker's event loop is busy with. Every worker that
shares the directory sweeps it; deleting a file twice is harmless.

The report's result names when its file expires (``ReportOutput.expires_at``), so the API
answers 410 Gone for a file swept away rather than 404.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

__all__ = ["RetentionSweeper", "sweep"]

logger = logging.getLogger(__name__)

LONGEST_REPORT = timedelta(hours=2)
"""A report's execution timeout (the API's); part files idle longer than it are abandoned."""


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def sweep(root: Path, retention_seconds: float, *, now: float | None = None) -> int:
    """Delete expired report files and abandoned part directories; return how many went."""
    if retention_seconds <= 0 or not root.is_dir():
        return 0
    moment = time.time() if now is None else now
    removed = 0
    for path in root.iterdir():
        # Finished reports and their temporaries are the only plain files at the top.
        if (
            path.is_file()
            and not path.name.startswith(".")
            and _age(path, moment) >= (retention_seconds)
        ):
            path.unlink(missing_ok=True)
            removed += 1
    parts_idle = max(retention_seconds, LONGEST_REPORT.total_seconds())
    parts = root / ".parts"
    if parts.is_dir():
        for directory in parts.iterdir():
            if directory.is_dir() and _age(directory, moment) >= parts_idle:
                shutil.rmtree(directory, ignore_errors=True)
                removed += 1
    return removed


class RetentionSweeper:
    """Sweeps ``root`` every ``interval_seconds`` on a daemon thread until :meth:`stop`."""

    def __init__(self, root: Path, *, retention_seconds: float, interval_seconds: float) -> None:
        """Nothing runs until :meth:`start`."""
        self.root = root
        self.retention_seconds = retention_seconds
        self.interval_seconds = interval_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"report-retention:{root}", daemon=True
        )

    def start(self) -> None:
        """Begin sweeping (a no-op when files are kept for good)."""
        if self.retention_seconds > 0:
            self._thread.start()

    def stop(self) -> None:
        """Stop after the sweep in progress, if any."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            try:
                removed = sweep(self.root, self.retention_seconds)
            except OSError:
                # A directory being replaced under us, say; the next sweep tries again.
                logger.exception("sweeping expired reports in %s failed", self.root)
                continue
            if removed:
                logger.info("deleted %d expired report files in %s", removed, self.root)
