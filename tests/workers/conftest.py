"""Fixtures for the worker services: a private side-effect log and reports directory per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from stand_ins.side_effect_log import SIDE_EFFECTS_DB_ENV, SideEffectLog
from worker_reports.storage import REPORTS_DIR_ENV


@pytest.fixture
def side_effects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SideEffectLog:
    """The side-effect log the activities of this test write to (``SIDE_EFFECTS_DB``)."""
    path = tmp_path / "side_effects.sqlite3"
    monkeypatch.setenv(SIDE_EFFECTS_DB_ENV, str(path))
    return SideEffectLog(path)


@pytest.fixture
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory report files of this test go to (``REPORTS_DIR``)."""
    path = tmp_path / "reports"
    monkeypatch.setenv(REPORTS_DIR_ENV, str(path))
    return path
