"""Workflow contracts: the only thing the API and the worker services share besides temporal_core.

One module per workflow: its Temporal name, task queue, input, result and state models, the
payloads of its signals and updates, and a typed ``WorkflowContract`` the API calls it through.
No workflow code, no activities, no I/O. Each worker package implements its contract and a test
(``tests/workers/test_contracts.py``) fails when the implementation drifts from it.
"""

from contracts.approvals import APPROVAL
from contracts.orders import ORDER
from contracts.reports import REPORT

__all__ = ["ALL", "APPROVAL", "ORDER", "REPORT"]

ALL = (ORDER, APPROVAL, REPORT)
"""Every contract, for checks that cover them all."""
