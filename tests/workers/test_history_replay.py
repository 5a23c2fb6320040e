"""The determinism gate: recorded histories of every workflow path replay against today's code.

A change to a workflow that running executions cannot follow (a step added, removed or reordered
without ``workflow.patched``) makes its recorded histories fail to replay here. The histories are
recorded by ``uv run python -m tests.histories.record`` (see that module for when to re-record).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporal_core.worker.build import sandboxed_runner
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError
from worker_approvals.workflows import ApprovalWorkflow
from worker_orders.workflows import OrderWorkflow
from worker_reports.workflows import ReportGenerationWorkflow

from tests.histories.record import HISTORIES, SCENARIOS
from tests.workers.changed_workflows import PatchedOrderWorkflow, UnsafelyChangedOrderWorkflow

WORKFLOWS: dict[str, type] = {
    cls.workflow_name(): cls for cls in (OrderWorkflow, ApprovalWorkflow, ReportGenerationWorkflow)
}

RECORDED = sorted(HISTORIES.glob("*/*.json"))


def test_every_scenario_of_every_workflow_is_recorded() -> None:
    expected = {(name, scenario) for name, paths in SCENARIOS.items() for scenario in paths}
    recorded = {(path.parent.name, path.stem) for path in RECORDED}
    assert set(SCENARIOS) == set(WORKFLOWS)
    assert expected - recorded == set(), "run: uv run python -m tests.histories.record"


@pytest.mark.parametrize(
    "path", RECORDED, ids=[f"{path.parent.name}/{path.stem}" for path in RECORDED]
)
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    await replay(path, WORKFLOWS[path.parent.name])


async def test_the_gate_fails_a_change_running_orders_cannot_follow() -> None:
    with pytest.raises(NondeterminismError):
        await replay(HISTORIES / "OrderWorkflow" / "completed.json", UnsafelyChangedOrderWorkflow)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS["OrderWorkflow"]))
async def test_the_same_change_behind_workflow_patched_replays(scenario: str) -> None:
    await replay(HISTORIES / "OrderWorkflow" / f"{scenario}.json", PatchedOrderWorkflow)


async def replay(path: Path, workflow_cls: type) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 (tiny file)
    replayer = Replayer(
        workflows=[workflow_cls],
        data_converter=pydantic_data_converter,
        workflow_runner=sandboxed_runner(),
    )
    await replayer.replay_workflow(history)
