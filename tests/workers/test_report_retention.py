"""Which report files the retention sweep deletes, by their age (pure file-system logic)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from worker_reports.retention import LONGEST_REPORT, sweep


def _aged(path: Path, seconds: float) -> Path:
    moment = time.time() - seconds
    os.utime(path, (moment, moment))
    return path


def test_finished_files_older_than_the_retention_go_and_younger_ones_stay(tmp_path: Path) -> None:
    old = tmp_path / "report-a.csv"
    old.touch()
    _aged(old, 120)
    young = tmp_path / "report-b.json"
    young.touch()

    assert sweep(tmp_path, retention_seconds=60) == 1
    assert not old.exists()
    assert young.exists()


def test_part_files_go_only_once_no_report_could_still_be_writing_them(tmp_path: Path) -> None:
    running = tmp_path / ".parts" / "report-running"
    running.mkdir(parents=True)
    _aged(running, 120)  # older than the retention, younger than the longest report
    abandoned = tmp_path / ".parts" / "report-abandoned"
    abandoned.mkdir()
    (abandoned / "000000.jsonl").touch()
    _aged(abandoned, LONGEST_REPORT.total_seconds() + 60)

    assert sweep(tmp_path, retention_seconds=60) == 1
    assert running.exists()
    assert not abandoned.exists()


def test_a_retention_of_zero_keeps_everything(tmp_path: Path) -> None:
    kept = tmp_path / "report-a.csv"
    kept.touch()
    _aged(kept, 10**7)
    assert sweep(tmp_path, retention_seconds=0) == 0
    assert kept.exists()
