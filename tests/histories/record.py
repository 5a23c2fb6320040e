"""Record the histories of every workflow's main paths, for the determinism gate.

    uv run python -m tests.histories.record              # every scenario
    uv run python -m tests.histories.record NAME...      # only these scenarios (new paths)

runs each scenario below on a real dev server with the real workers and writes its history to
``tests/histories/<WorkflowName>/<scenario>.json``. ``tests/workers/test_history_replay.py``
replays every file against the current code, so a change that would break workflows already
running in production fails CI. Re-record only on purpose: after a change that is safe for
running workflows (new code paths behind ``workflow.patched``, see docs/workers.md), or when a
new path or workflow is added. Never re-record to make a failing replay pass: that failure is
the gate doing its job.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from contracts.approvals import (
    APPROVAL,
    APPROVE,
    DECIDE,
    REJECT,
    ApprovalInput,
    Decision,
    DecisionRequest,
)
from contracts.common import CANCEL
from contracts.orders import ORDER, REQUEST_CANCELLATION, OrderInput, OrderItem
from contracts.reports import REPORT, ReportConfig
from temporal_core import CancelRequest, build_worker, registry
from temporal_core.testing import start_dev_environment
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowFailureError,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy

HISTORIES = Path(__file__).resolve().parent

Scenario = Callable[[Client, dict[str, str]], Awaitable[WorkflowHandle[Any, Any]]]


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _order(**changes: Any) -> OrderInput:
    values: dict[str, Any] = {
        "order_id": _id("rec"),
        "customer_email": "recorder@example.com",
        "amount": 25.0,
        "items": [OrderItem(sku="BOOK-1", quantity=1)],
    }
    values.update(changes)
    return OrderInput(**values)


async def _finish(handle: WorkflowHandle[Any, Any]) -> WorkflowHandle[Any, Any]:
    # Failed and cancelled runs are paths worth keeping too; only the history matters here.
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()
    return handle


async def order_completed(client: Client, queues: dict[str, str]) -> WorkflowHandle[Any, Any]:
    order = _order()
    return await _finish(
        await ORDER.start(client, order, id=f"order-{order.order_id}", task_queue=queues["orders"])
    )


async def order_failed_and_compensated(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    # More than the local stock: reserving fails for good, so the charge is refunded.
    order = _order(items=[OrderItem(sku="BOOK-1", quantity=5000)])
    return await _finish(
        await ORDER.start(client, order, id=f"order-{order.order_id}", task_queue=queues["orders"])
    )


async def order_cancelled_by_signal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    order = _order()
    workflow_id = f"order-{order.order_id}"
    await ORDER.start(
        client,
        order,
        id=workflow_id,
        task_queue=queues["orders"],
        start_signal=CANCEL.name,
        start_signal_args=[CancelRequest(reason="recorded")],
    )
    return await _finish(ORDER.get_handle(client, workflow_id))


async def order_cancelled_through_temporal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    order = _order()
    handle = await ORDER.start(
        client, order, id=f"order-{order.order_id}", task_queue=queues["orders"]
    )
    await handle.cancel()
    return await _finish(handle)


async def order_cancelled_by_update(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    # Started together with its request_cancellation update, so the update is surely delivered
    # while the order runs (an order takes milliseconds).
    order = _order()
    workflow_id = f"order-{order.order_id}"
    start = WithStartWorkflowOperation(
        ORDER.name,
        order,
        id=workflow_id,
        task_queue=queues["orders"],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        result_type=ORDER.result_type,
    )
    await client.execute_update_with_start_workflow(
        REQUEST_CANCELLATION.name,
        CancelRequest(reason="recorded"),
        start_workflow_operation=start,
        result_type=REQUEST_CANCELLATION.result_type,
    )
    return await _finish(ORDER.get_handle(client, workflow_id))


def _approval(**changes: Any) -> ApprovalInput:
    values: dict[str, Any] = {
        "request_id": _id("rec"),
        "approver_email": "lead@example.com",
        "subject": "Recorded request",
    }
    values.update(changes)
    return ApprovalInput(**values)


async def _start_approval(
    client: Client, queues: dict[str, str], request: ApprovalInput
) -> WorkflowHandle[Any, Any]:
    handle = await APPROVAL.start(
        client, request, id=f"approval-{request.request_id}", task_queue=queues["approvals"]
    )
    # Decide only once the request is out, so the history holds the wait as well.
    for _ in range(100):
        state = await APPROVAL.query_state(client, handle.id)
        if state.step == "waiting for decision":
            break
        await asyncio.sleep(0.05)
    return handle


async def approval_approved(client: Client, queues: dict[str, str]) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    await APPROVAL.signal(client, handle.id, APPROVE, Decision(decided_by="lead@example.com"))
    return await _finish(handle)


async def approval_rejected(client: Client, queues: dict[str, str]) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    await APPROVAL.signal(
        client, handle.id, REJECT, Decision(decided_by="lead@example.com", comment="no")
    )
    return await _finish(handle)


async def approval_decided_by_update(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    # A refused second decision would leave no event, so one decision is the whole path.
    await APPROVAL.execute_update(
        client,
        handle.id,
        DECIDE,
        DecisionRequest(outcome="approved", decided_by="lead@example.com"),
    )
    return await _finish(handle)


async def approval_decided_by_delegate(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    # Someone the API vouches may decide for others: accepted, and recorded as delegated.
    await APPROVAL.execute_update(
        client,
        handle.id,
        DECIDE,
        DecisionRequest(outcome="rejected", decided_by="deputy@example.com", delegated=True),
    )
    return await _finish(handle)


async def approval_expired(client: Client, queues: dict[str, str]) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval(timeout_seconds=1))
    return await _finish(handle)


async def approval_cancelled_by_signal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    await APPROVAL.signal(client, handle.id, CANCEL, CancelRequest(reason="withdrawn"))
    return await _finish(handle)


async def approval_cancelled_through_temporal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    handle = await _start_approval(client, queues, _approval())
    await handle.cancel()
    return await _finish(handle)


async def report_completed(client: Client, queues: dict[str, str]) -> WorkflowHandle[Any, Any]:
    config = ReportConfig(rows=30, chunk_size=10, format="csv")
    return await _finish(
        await REPORT.start(client, config, id=_id("report"), task_queue=queues["reports"])
    )


async def report_cancelled_by_signal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    config = ReportConfig(rows=30, chunk_size=10, format="json")
    workflow_id = _id("report")
    await REPORT.start(
        client,
        config,
        id=workflow_id,
        task_queue=queues["reports"],
        start_signal=CANCEL.name,
        start_signal_args=[CancelRequest(reason="recorded")],
    )
    return await _finish(REPORT.get_handle(client, workflow_id))


async def report_cancelled_through_temporal(
    client: Client, queues: dict[str, str]
) -> WorkflowHandle[Any, Any]:
    config = ReportConfig(rows=30, chunk_size=10, format="csv")
    handle = await REPORT.start(client, config, id=_id("report"), task_queue=queues["reports"])
    await handle.cancel()
    return await _finish(handle)


SCENARIOS: dict[str, dict[str, Scenario]] = {
    ORDER.name: {
        "completed": order_completed,
        "failed_and_compensated": order_failed_and_compensated,
        "cancelled_by_signal": order_cancelled_by_signal,
        "cancelled_through_temporal": order_cancelled_through_temporal,
        "cancelled_by_update": order_cancelled_by_update,
    },
    APPROVAL.name: {
        "approved": approval_approved,
        "rejected": approval_rejected,
        "decided_by_update": approval_decided_by_update,
        "decided_by_delegate": approval_decided_by_delegate,
        "expired": approval_expired,
        "cancelled_by_signal": approval_cancelled_by_signal,
        "cancelled_through_temporal": approval_cancelled_through_temporal,
    },
    REPORT.name: {
        "completed": report_completed,
        "cancelled_by_signal": report_cancelled_by_signal,
        "cancelled_through_temporal": report_cancelled_through_temporal,
    },
}
"""Every workflow type and the paths of it that running workflows may be on."""


@contextlib.asynccontextmanager
async def _workers(client: Client, data_dir: Path) -> AsyncIterator[dict[str, str]]:
    registry.discover()  # imports every installed worker package, registering its queue
    queues = {
        queue: f"record-{queue}-{uuid.uuid4().hex[:6]}"
        for queue in (ORDER.queue, APPROVAL.queue, REPORT.queue)
    }
    # The workers' stand-ins write here, not into the developer's .data folder.
    os.environ["SIDE_EFFECTS_DB"] = str(data_dir / "side_effects.sqlite3")
    os.environ["REPORTS_DIR"] = str(data_dir / "reports")
    async with contextlib.AsyncExitStack() as stack:
        for queue, task_queue in queues.items():
            await stack.enter_async_context(build_worker(client, queue, task_queue=task_queue))
        yield queues


async def record(target: Path = HISTORIES, only: frozenset[str] = frozenset()) -> list[Path]:
    """Run every scenario (or those named in ``only``) and write its history; returns the files.

    Recording every scenario replaces the folders; recording some leaves the other files as
    they are, so a new path is added without re-recording the old ones.
    """
    unknown = only - {name for scenarios in SCENARIOS.values() for name in scenarios}
    if unknown:
        raise SystemExit(f"no such scenario: {', '.join(sorted(unknown))}")
    written: list[Path] = []
    env = await start_dev_environment()
    data_dir = Path(tempfile.mkdtemp(prefix="histories-"))
    try:
        async with _workers(env.client, data_dir) as queues:
            for workflow_name, scenarios in SCENARIOS.items():
                folder = target / workflow_name
                if not only:
                    shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True, exist_ok=True)
                for scenario, run in scenarios.items():
                    if only and scenario not in only:
                        continue
                    handle = await run(env.client, queues)
                    history = await handle.fetch_history()
                    path = folder / f"{scenario}.json"
                    path.write_text(history.to_json() + "\n")
                    written.append(path)
                    print(f"recorded {path.relative_to(target.parent)}", flush=True)
    finally:
        await env.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)
    return written


if __name__ == "__main__":
    asyncio.run(record(only=frozenset(sys.argv[1:])))
    sys.stdout.flush()
    # Skip interpreter finalization: the SDK's runtime threads can abort it (sdk-python #300).
    os._exit(0)
