"""ApprovalWorkflow on the time-skipping server: approve, reject, expire, cancel."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from contracts.approvals import ApprovalInput, ApprovalOutput, Decision
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, build_worker
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from worker_approvals.workflows import ApprovalWorkflow

from tests.workers.cancellation import close_status
from tests.workers.workflow_replay import assert_replays


def a_request(**changes: object) -> ApprovalInput:
    values: dict[str, object] = {
        "request_id": f"r-{uuid.uuid4().hex[:8]}",
        "approver_email": "boss@example.com",
        "subject": "New laptop",
        "details": "Budget line 42",
    }
    values.update(changes)
    return ApprovalInput.model_validate(values)


async def start(
    env: WorkflowEnvironment, request: ApprovalInput, task_queue: str
) -> WorkflowHandle[ApprovalWorkflow, ApprovalOutput]:
    return await ApprovalWorkflow.start_workflow(
        env.client, input=request, id=f"approval-{request.request_id}", task_queue=task_queue
    )


async def test_nobody_answers_and_the_request_expires_after_24_hours(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    request = a_request()
    async with build_worker(time_skipping_env.client, "approvals", task_queue=task_queue):
        handle = await start(time_skipping_env, request, task_queue)
        result = await handle.result()
        state = await handle.query(ApprovalWorkflow.state)
        description = await handle.describe()
    await assert_replays(handle, ApprovalWorkflow)

    assert result.status == "expired"
    assert result.decided_by is None
    assert description.close_time is not None
    simulated = description.close_time - description.start_time
    assert timedelta(hours=24) <= simulated < timedelta(hours=25)
    assert state["status"] == "expired"
    sent = side_effects.entries(key=f"approval/{handle.id}/request")
    assert [email.payload["to"] for email in sent] == ["boss@example.com"]


async def test_approve_ends_approved_with_who_and_why(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    request = a_request()
    async with build_worker(time_skipping_env.client, "approvals", task_queue=task_queue):
        handle = await start(time_skipping_env, request, task_queue)
        state = await handle.query(ApprovalWorkflow.state)
        assert state["status"] == "pending"
        await handle.signal(ApprovalWorkflow.approve, Decision(decided_by="grace", comment="ok"))
        # A second decision after the first is ignored, not an error.
        await handle.signal(ApprovalWorkflow.reject, Decision(decided_by="linus", comment="no"))
        result = await handle.result()
    await assert_replays(handle, ApprovalWorkflow)

    assert result.status == "approved"
    assert (result.decided_by, result.comment) == ("grace", "ok")


async def test_reject_ends_rejected_with_who_and_why(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    request = a_request(timeout_seconds=3600)
    async with build_worker(time_skipping_env.client, "approvals", task_queue=task_queue):
        handle = await start(time_skipping_env, request, task_queue)
        await handle.signal(
            ApprovalWorkflow.reject, Decision(decided_by="grace", comment="over budget")
        )
        result = await handle.result()
        state = await handle.query(ApprovalWorkflow.state)

    assert result.status == "rejected"
    assert (result.decided_by, result.comment) == ("grace", "over budget")
    assert (state["status"], state["decided_by"], state["progress"]) == ("rejected", "grace", 100)


async def waiting_for_decision(handle: WorkflowHandle[ApprovalWorkflow, ApprovalOutput]) -> None:
    """Return once the request e-mail is out and the workflow waits for a decision."""
    async with asyncio.timeout(30):
        while True:
            state = await handle.query(ApprovalWorkflow.state)
            if state["step"] == "waiting for decision":
                return
            await asyncio.sleep(0.05)


def sent_requests(
    side_effects: SideEffectLog, handle: WorkflowHandle[ApprovalWorkflow, ApprovalOutput]
) -> list[str]:
    return [
        email.payload["to"] for email in side_effects.entries(key=f"approval/{handle.id}/request")
    ]


async def test_cancel_signal_withdraws_the_request_and_completes_cancelled(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    request = a_request()
    async with build_worker(time_skipping_env.client, "approvals", task_queue=task_queue):
        handle = await start(time_skipping_env, request, task_queue)
        await waiting_for_decision(handle)
        await handle.signal(ApprovalWorkflow.cancel, CancelRequest(reason="not needed"))
        result = await handle.result()
        state = await handle.query(ApprovalWorkflow.state)
    await assert_replays(handle, ApprovalWorkflow)

    assert (result.status, result.comment, result.decided_by) == ("cancelled", "not needed", None)
    assert await close_status(handle) == WorkflowExecutionStatus.COMPLETED
    assert (state["status"], state["cancel_requested"]) == ("cancelled", True)
    # Nothing to undo: the one request e-mail stays sent, and nothing else happened.
    assert sent_requests(side_effects, handle) == ["boss@example.com"]
    assert len(side_effects.entries()) == 1


async def test_temporal_cancellation_withdraws_the_request_and_ends_canceled(
    time_skipping_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    request = a_request()
    async with build_worker(time_skipping_env.client, "approvals", task_queue=task_queue):
        handle = await start(time_skipping_env, request, task_queue)
        await waiting_for_decision(handle)
        await handle.cancel()  # as the Web UI's Cancel button or `temporal workflow cancel` do
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        state = await handle.query(ApprovalWorkflow.state)
    await assert_replays(handle, ApprovalWorkflow)

    assert isinstance(failure.value.cause, CancelledError)
    assert await close_status(handle) == WorkflowExecutionStatus.CANCELED
    assert (state["status"], state["step"]) == ("cancelled", None)
    assert sent_requests(side_effects, handle) == ["boss@example.com"]
    assert len(side_effects.entries()) == 1
