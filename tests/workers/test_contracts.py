"""Each worker implements the contract the API calls it through (name, queue, models, signals)."""

from __future__ import annotations

import pytest
from contracts import ALL, APPROVAL, ORDER, REPORT
from temporal_core import WorkflowContract
from temporal_core.authoring.contract_check import drift
from worker_approvals.workflows import ApprovalWorkflow
from worker_orders.workflows import OrderWorkflow
from worker_reports.workflows import ReportGenerationWorkflow

IMPLEMENTATIONS: dict[str, type] = {
    ORDER.name: OrderWorkflow,
    APPROVAL.name: ApprovalWorkflow,
    REPORT.name: ReportGenerationWorkflow,
}


def test_every_contract_has_an_implementation() -> None:
    assert {contract.name for contract in ALL} == set(IMPLEMENTATIONS)


@pytest.mark.parametrize("contract", ALL, ids=lambda contract: contract.name)
def test_worker_implements_its_contract(contract: WorkflowContract[object, object, object]) -> None:
    assert drift(contract, IMPLEMENTATIONS[contract.name]) == []
