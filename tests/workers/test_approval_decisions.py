"""ApprovalWorkflow's ``decide`` update on the real dev server: only the approver (or a delegate)
decides, and the first decision stands."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from contracts.approvals import (
    DECISION_ALREADY_MADE,
    NOT_THE_APPROVER,
    REQUEST_WITHDRAWN,
    ApprovalInput,
    Decision,
    DecisionMade,
    DecisionRequest,
)
from stand_ins.mail import LocalEmailSender, OutgoingEmail
from stand_ins.side_effect_log import SideEffectLog
from temporal_core import CancelRequest, build_worker
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from worker_approvals.activities import ApprovalActivities
from worker_approvals.workflows import ApprovalWorkflow

from tests.workers.workflow_replay import assert_replays

APPROVER = "boss@example.com"


async def start(client: Client, task_queue: str) -> str:
    request_id = f"r-{uuid.uuid4().hex[:8]}"
    await ApprovalWorkflow.start_workflow(
        client,
        input=ApprovalInput(request_id=request_id, approver_email=APPROVER),
        id=f"approval-{request_id}",
        task_queue=task_queue,
    )
    return f"approval-{request_id}"


class HeldMail:
    """A mail service that holds the approval request until ``let_go`` is set."""

    def __init__(self, log: SideEffectLog) -> None:
        self.sending = threading.Event()
        self.let_go = threading.Event()
        self._local = LocalEmailSender(log)

    def send(self, message: OutgoingEmail) -> bool:
        self.sending.set()
        self.let_go.wait(timeout=60)
        return self._local.send(message)


def refusal(error: WorkflowUpdateFailedError) -> ApplicationError:
    assert isinstance(error.cause, ApplicationError)
    return error.cause


async def test_racing_decisions_have_one_winner_and_the_loser_learns_which(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    async with build_worker(client, "approvals", task_queue=task_queue):
        workflow_id = await start(client, task_queue)
        # The approver (its e-mail in another case) races a delegate deciding on its behalf.
        approve = DecisionRequest(outcome="approved", decided_by="Boss@Example.COM", comment="ok")
        reject = DecisionRequest(
            outcome="rejected", decided_by="deputy@example.com", delegated=True, comment="no"
        )
        answers = await asyncio.gather(
            *(
                ApprovalWorkflow.execute_update(client, workflow_id, ApprovalWorkflow.decide, d)
                for d in (approve, reject)
            ),
            return_exceptions=True,
        )
        won = [a for a in answers if isinstance(a, DecisionMade)]
        lost = [a for a in answers if isinstance(a, WorkflowUpdateFailedError)]
        assert (len(won), len(lost)) == (1, 1), answers
        error = refusal(lost[0])
        assert error.type == DECISION_ALREADY_MADE
        assert DecisionMade.model_validate(error.details[0]) == won[0]

        handle = ApprovalWorkflow.get_handle(client, workflow_id)
        result = await handle.result()
    assert (result.status, result.decided_by) == (won[0].outcome, won[0].decided_by)
    # Only the deputy's decision was on someone else's behalf.
    assert result.delegated is (won[0].decided_by == "deputy@example.com") is won[0].delegated
    history = await handle.fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    # The refused decision left nothing in the history.
    assert sum(event.event_type == accepted for event in history.events) == 1
    await assert_replays(handle, ApprovalWorkflow)


async def test_a_signalled_decision_stands_against_a_later_update(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    async with build_worker(client, "approvals", task_queue=task_queue):
        workflow_id = await start(client, task_queue)
        handle = ApprovalWorkflow.get_handle(client, workflow_id)
        # The guide's way, for code that signals directly.
        await handle.signal(ApprovalWorkflow.reject, Decision(decided_by="cfo", comment="budget"))
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await ApprovalWorkflow.execute_update(
                client,
                workflow_id,
                ApprovalWorkflow.decide,
                DecisionRequest(outcome="approved", decided_by=APPROVER),
            )
        result = await handle.result()
    standing = DecisionMade.model_validate(refusal(failed.value).details[0])
    assert (standing.outcome, standing.decided_by, standing.comment) == (
        "rejected",
        "cfo",
        "budget",
    )
    assert (result.status, result.decided_by) == ("rejected", "cfo")
    # A signal carries no verified caller: a decider who is not the approver is recorded so.
    assert result.delegated is True
    await assert_replays(handle, ApprovalWorkflow)


async def test_only_the_named_approver_decides_and_a_refusal_leaves_no_trace(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    async with build_worker(client, "approvals", task_queue=task_queue):
        workflow_id = await start(client, task_queue)
        handle = ApprovalWorkflow.get_handle(client, workflow_id)
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await ApprovalWorkflow.execute_update(
                client,
                workflow_id,
                ApprovalWorkflow.decide,
                DecisionRequest(outcome="approved", decided_by="mallory@example.com"),
            )
        assert refusal(failed.value).type == NOT_THE_APPROVER
        state = await handle.query(ApprovalWorkflow.state)
        assert (state["status"], state["decided_by"]) == ("pending", None)

        made = await ApprovalWorkflow.execute_update(
            client,
            workflow_id,
            ApprovalWorkflow.decide,
            DecisionRequest(outcome="rejected", decided_by=" BOSS@example.com", comment="no"),
        )
        result = await handle.result()
    assert made == DecisionMade(outcome="rejected", decided_by=" BOSS@example.com", comment="no")
    assert (result.status, result.decided_by, result.delegated) == (
        "rejected",
        " BOSS@example.com",
        False,
    )
    history = await handle.fetch_history()
    updates = [
        event
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    # The stranger's attempt was answered synchronously and left nothing in the history.
    assert len(updates) == 1
    await assert_replays(handle, ApprovalWorkflow)


async def test_a_withdrawn_request_refuses_a_decision_while_it_winds_down(
    temporal_env: WorkflowEnvironment, task_queue: str, side_effects: SideEffectLog
) -> None:
    client = temporal_env.client
    mail = HeldMail(side_effects)
    activities = [ApprovalActivities(mail)]
    async with build_worker(client, "approvals", task_queue=task_queue, activities=activities):
        workflow_id = await start(client, task_queue)
        handle = ApprovalWorkflow.get_handle(client, workflow_id)
        assert await asyncio.to_thread(mail.sending.wait, 30), "the request was never sent"
        await handle.signal(ApprovalWorkflow.cancel, CancelRequest(reason="not needed"))
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await ApprovalWorkflow.execute_update(
                client,
                workflow_id,
                ApprovalWorkflow.decide,
                DecisionRequest(outcome="approved", decided_by=APPROVER),
            )
        mail.let_go.set()
        result = await handle.result()
    assert refusal(failed.value).type == REQUEST_WITHDRAWN
    assert (result.status, result.decided_by) == ("cancelled", None)
    await assert_replays(handle, ApprovalWorkflow)
