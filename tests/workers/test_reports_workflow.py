"""ReportGenerationWorkflow on a real dev server: a real file, progress, and chunk resumption."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from pathlib import Path

import pytest
from contracts.reports import ReportConfig
from pydantic import ValidationError
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, build_worker
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from worker_reports.report_rows import report_row
from worker_reports.storage import InvalidReportIdError, ReportStorage, keep_first_lines
from worker_reports.wiring import ROW_DELAY_ENV
from worker_reports.workflows import ReportGenerationWorkflow

from tests.workers.workflow_replay import assert_replays


async def test_csv_report_is_written_in_chunks_with_progress(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    side_effects: SideEffectLog,
    reports_dir: Path,
) -> None:
    report_id = f"report-{uuid.uuid4().hex[:8]}"
    config = ReportConfig(rows=25, chunk_size=10, format="csv")
    async with build_worker(temporal_env.client, "reports", task_queue=task_queue):
        handle = await ReportGenerationWorkflow.start_workflow(
            temporal_env.client, input=config, id=report_id, task_queue=task_queue
        )
        result = await handle.result()
        state = await handle.query(ReportGenerationWorkflow.state)
    await assert_replays(handle, ReportGenerationWorkflow)

    path = reports_dir / result.file_name
    assert result.file_name == f"{report_id}.csv"
    assert result.size_bytes == path.stat().st_size
    with path.open(newline="") as report:
        rows = list(csv.DictReader(report))
    assert [int(row["row"]) for row in rows] == list(range(25))
    assert rows[3]["region"] == report_row(report_id, "sales", 3)["region"]
    assert (state["progress"], state["chunks_done"], state["chunks_total"]) == (100, 3, 3)
    assert state["file_name"] == result.file_name
    written = [e.key for e in side_effects.entries(key_prefix=report_id + "/")]
    assert written == [f"{report_id}/0", f"{report_id}/1", f"{report_id}/2"]
    assert not (reports_dir / ".parts" / report_id).exists()


async def test_json_report(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    side_effects: SideEffectLog,
    reports_dir: Path,
) -> None:
    report_id = f"report-{uuid.uuid4().hex[:8]}"
    config = ReportConfig(report_type="inventory", rows=7, chunk_size=3, format="json")
    async with build_worker(temporal_env.client, "reports", task_queue=task_queue):
        result = await ReportGenerationWorkflow.execute_workflow(
            temporal_env.client, input=config, id=report_id, task_queue=task_queue
        )

    rows = json.loads((reports_dir / f"{report_id}.json").read_text())
    assert result.rows == len(rows) == 7
    assert [row["row"] for row in rows] == list(range(7))
    assert {"sku", "warehouse", "on_hand"} <= set(rows[0])


def test_a_resumed_chunk_keeps_only_the_heartbeated_rows(reports_dir: Path) -> None:
    part = ReportStorage(reports_dir).chunk_path("r-1", 0, partial=True)
    part.parent.mkdir(parents=True)
    # Three whole rows, then half a row cut off by a crash.
    part.write_bytes(b'{"row":0}\n{"row":1}\n{"row":2}\n{"row":')

    assert keep_first_lines(part, 2) == 2
    assert part.read_bytes() == b'{"row":0}\n{"row":1}\n'
    assert keep_first_lines(part, 10) == 2


def test_report_ids_that_are_not_file_names_are_refused(reports_dir: Path) -> None:
    for bad in ("../escape", ".hidden", "a/b", ""):
        with pytest.raises(InvalidReportIdError):
            ReportStorage(reports_dir).report_path(bad, "csv")


def test_rows_are_the_same_on_every_worker() -> None:
    assert report_row("r-1", "sales", 5) == report_row("r-1", "sales", 5)
    assert report_row("r-1", "sales", 5) != report_row("r-2", "sales", 5)
    assert report_row("r-1", "custom", 0)["report_type"] == "custom"


def test_a_report_too_big_for_one_history_is_refused() -> None:
    with pytest.raises(ValidationError, match="chunks"):
        ReportConfig(rows=1_000_000, chunk_size=1)


async def test_cancelled_report_stops_and_leaves_no_part_files(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    side_effects: SideEffectLog,
    reports_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ROW_DELAY_ENV, "0.02")  # 0.2 s a chunk: time to cancel half-way
    report_id = f"report-{uuid.uuid4().hex[:8]}"
    config = ReportConfig(rows=100, chunk_size=10, format="csv")
    async with build_worker(temporal_env.client, "reports", task_queue=task_queue):
        handle = await ReportGenerationWorkflow.start_workflow(
            temporal_env.client, input=config, id=report_id, task_queue=task_queue
        )
        for _ in range(200):
            state = await handle.query(ReportGenerationWorkflow.state)
            if state["chunks_done"] >= 1:
                break
            await asyncio.sleep(0.05)
        assert (reports_dir / ".parts" / report_id).is_dir()
        await handle.signal(ReportGenerationWorkflow.cancel, CancelRequest(reason="not needed"))
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        state = await handle.query(ReportGenerationWorkflow.state)
    await assert_replays(handle, ReportGenerationWorkflow)

    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "ReportCancelled"
    assert "not needed" in cause.message
    assert state["status"] == "cancelled"
    assert 1 <= state["chunks_done"] < 10
    assert not (reports_dir / ".parts" / report_id).exists()
    assert not (reports_dir / f"{report_id}.csv").exists()
