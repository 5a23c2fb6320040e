"""ReportGenerationWorkflow on a real dev server: a real file, progress, and chunk resumption."""

from __future__ import annotations

import asyncio
import csv
import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from contracts.reports import ReportConfig
from pydantic import ValidationError
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, TemporalSettings, build_worker
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from worker_reports.activities import CHUNK_WRITTEN_KIND
from worker_reports.report_rows import report_row
from worker_reports.storage import InvalidReportIdError, ReportStorage, keep_first_lines
from worker_reports.wiring import ROW_DELAY_ENV
from worker_reports.workflows import ReportGenerationWorkflow

from tests.workers.cancellation import CANCEL_REQUESTED, close_status, wait_for_event
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


def test_discarding_a_report_keeps_a_finished_file_unless_its_format_is_named(
    reports_dir: Path,
) -> None:
    for index in range(2):
        part = ReportStorage(reports_dir).chunk_path("r-1", index)
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_text('{"row":0}\n')
    finished = ReportStorage(reports_dir).report_path("r-1", "csv")
    finished.write_text("row\n0\n")

    assert ReportStorage(reports_dir).discard_parts("r-1") == 2
    assert finished.exists()  # may be an earlier run's report under the same id
    assert ReportStorage(reports_dir).discard_parts("r-1", "csv") == 1
    assert not finished.exists()
    assert ReportStorage(reports_dir).discard_parts("r-1", "csv") == 0


async def chunks_done(handle: WorkflowHandle[Any, Any], at_least: int) -> dict[str, Any]:
    """The report's state once ``at_least`` chunks are written."""
    async with asyncio.timeout(30):
        while True:
            state = await handle.query(ReportGenerationWorkflow.state)
            if state["chunks_done"] >= at_least:
                return state
            await asyncio.sleep(0.05)


def written_chunks(side_effects: SideEffectLog, report_id: str) -> list[str]:
    effects = side_effects.entries(key_prefix=report_id + "/")
    return [effect.key for effect in effects if effect.kind == CHUNK_WRITTEN_KIND]


async def test_cancel_signal_stops_after_the_chunk_deletes_parts_and_completes_cancelled(
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
        await chunks_done(handle, at_least=1)
        assert (reports_dir / ".parts" / report_id).is_dir()
        await handle.signal(ReportGenerationWorkflow.cancel, CancelRequest(reason="not needed"))
        result = await handle.result()
        state = await handle.query(ReportGenerationWorkflow.state)
    await assert_replays(handle, ReportGenerationWorkflow)

    assert await close_status(handle) == WorkflowExecutionStatus.COMPLETED
    assert (result.status, result.file_name, result.size_bytes) == ("cancelled", None, 0)
    # The chunk in progress when the signal came was finished, then nothing more was written.
    assert 1 <= state["chunks_done"] < 10
    assert result.rows == state["chunks_done"] * 10
    assert len(written_chunks(side_effects, report_id)) == state["chunks_done"]
    assert (state["status"], state["cancel_reason"]) == ("cancelled", "not needed")
    assert not (reports_dir / ".parts" / report_id).exists()
    assert not (reports_dir / f"{report_id}.csv").exists()


async def test_temporal_cancellation_interrupts_the_chunk_deletes_parts_and_ends_canceled(
    temporal_env: WorkflowEnvironment,
    task_queue: str,
    side_effects: SideEffectLog,
    reports_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 5 s a chunk, heartbeating every 0.5 s; a 2 s heartbeat timeout makes the worker pass the
    # cancellation to the chunk within about 1.6 s (heartbeats are throttled to 80% of it).
    monkeypatch.setenv(ROW_DELAY_ENV, "0.01")
    settings = TemporalSettings(activity_heartbeat_timeout=timedelta(seconds=2))
    report_id = f"report-{uuid.uuid4().hex[:8]}"
    config = ReportConfig(rows=1000, chunk_size=500, format="json")
    async with build_worker(
        temporal_env.client, "reports", settings=settings, task_queue=task_queue
    ):
        handle = await ReportGenerationWorkflow.start_workflow(
            temporal_env.client, input=config, id=report_id, task_queue=task_queue
        )
        await chunks_done(handle, at_least=1)
        await handle.cancel()  # as the Web UI's Cancel button or `temporal workflow cancel` do
        await wait_for_event(handle, CANCEL_REQUESTED)
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        state = await handle.query(ReportGenerationWorkflow.state)
    await assert_replays(handle, ReportGenerationWorkflow)

    assert isinstance(failure.value.cause, CancelledError)
    assert await close_status(handle) == WorkflowExecutionStatus.CANCELED
    # The second chunk was cut short: only the first was ever completed.
    assert written_chunks(side_effects, report_id) == [f"{report_id}/0"]
    assert (state["status"], state["chunks_done"], state["file_name"]) == ("cancelled", 1, None)
    assert not (reports_dir / ".parts" / report_id).exists()
    assert not (reports_dir / f"{report_id}.json").exists()
