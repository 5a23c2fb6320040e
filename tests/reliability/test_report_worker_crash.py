"""The reports worker SIGKILLed inside a chunk: a new worker resumes it from the heartbeat.

Proves: the report completes on the replacement worker, the cut-off chunk resumes from the row
its last heartbeat recorded (not from the start), and the finished file holds every row exactly
once. The SIGTERM/Ctrl-C drains of ``uv run`` are proved in tests/workers/test_serve_processes.py.
"""

from __future__ import annotations

import asyncio
import csv
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from contracts.reports import REPORT, ReportConfig
from worker_reports.activities import CHUNK_RESUMED_KIND, CHUNK_WRITTEN_KIND
from worker_reports.storage import REPORTS_DIR_ENV, ReportStorage

from tests.reliability.figures import Figures
from tests.reliability.load import wait_until
from tests.reliability.system import running_system

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(180)]

ROWS = 4000
CHUNK_SIZE = 1000
KILLED_CHUNK = 1
ROWS_BEFORE_KILL = 300
HEARTBEAT_TIMEOUT_SECONDS = 2
"""How soon the server gives the dead worker's chunk to another worker."""
SLOW_ROWS = {
    "REPORTS_ROW_DELAY_SECONDS": "0.002",
    "TEMPORAL_QUEUES__REPORTS__ACTIVITY_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT_SECONDS),
}
RECOVERY_SECONDS = 30.0


async def test_a_killed_report_worker_resumes_from_its_heartbeat_writing_each_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figures: Figures
) -> None:
    reports_dir = tmp_path / "reports"
    monkeypatch.setenv(REPORTS_DIR_ENV, str(reports_dir))
    report_id = f"report-{uuid.uuid4().hex[:8]}"
    async with running_system(tmp_path) as system:
        first = await system.start_worker("reports", **SLOW_ROWS)
        first_pid = first.python_pid()
        client = await system.client()
        handle = await REPORT.start(
            client, ReportConfig(rows=ROWS, chunk_size=CHUNK_SIZE), id=report_id
        )
        partial = ReportStorage(reports_dir).chunk_path(report_id, KILLED_CHUNK, partial=True)
        inside = await wait_until(
            lambda: _has_lines(partial, ROWS_BEFORE_KILL), timeout=60, interval=0.02
        )
        assert inside is not None, "the worker never got into the chunk"
        first.crash()
        killed_at = time.monotonic()
        rows_at_kill = _lines_in(partial)
        second = await system.start_worker("reports", **SLOW_ROWS)
        second_pid = second.python_pid()
        result = await asyncio.wait_for(handle.result(), timeout=RECOVERY_SECONDS + 30)
        figures.recovery_seconds = time.monotonic() - killed_at
        events = system.side_effects.entries(key_prefix=f"{report_id}/")

    with (reports_dir / (result.file_name or "")).open(newline="") as report:
        rows = Counter(int(row["row"]) for row in csv.DictReader(report))
    written = Counter(e.key for e in events if e.kind == CHUNK_WRITTEN_KIND)
    resumed = [e for e in events if e.kind == CHUNK_RESUMED_KIND]
    writers = {e.key: e.payload["pid"] for e in events if e.kind == CHUNK_WRITTEN_KIND}
    figures.requests = figures.accepted = 1
    figures.completed = int(result.rows == ROWS)
    figures.duplicates = sum(n - 1 for n in rows.values()) + sum(n - 1 for n in written.values())
    figures.lost = len(set(range(ROWS)) - set(rows))
    figures.extra.update(
        rows=ROWS,
        chunks=ROWS // CHUNK_SIZE,
        rows_at_kill=rows_at_kill,
        resumed_from_row=[e.payload["from_row"] for e in resumed],
        heartbeat_timeout_seconds=HEARTBEAT_TIMEOUT_SECONDS,
    )

    assert figures.duplicates == 0, (rows.most_common(3), written)
    assert figures.lost == 0
    assert sorted(rows) == list(range(ROWS))
    chunk_keys = [f"{report_id}/{index}" for index in range(ROWS // CHUNK_SIZE)]
    assert sorted(written) == chunk_keys
    # The chunk in flight resumed once, from a heartbeat inside it, on the new worker.
    assert [e.key for e in resumed] == [f"{report_id}/{KILLED_CHUNK}"]
    assert 1 <= resumed[0].payload["from_row"] <= rows_at_kill
    assert resumed[0].payload["pid"] == second_pid
    assert [writers[key] for key in chunk_keys] == [first_pid] * KILLED_CHUNK + [second_pid] * (
        len(chunk_keys) - KILLED_CHUNK
    )
    assert figures.recovery_seconds <= RECOVERY_SECONDS


async def _has_lines(path: Path, count: int) -> bool:
    return await asyncio.to_thread(_lines_in, path) >= count


def _lines_in(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0
