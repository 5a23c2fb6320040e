"""``ApprovalWorkflow``: ask a person, then wait for a decision, or expire.

A decision arrives as the ``decide`` update (what the API sends) or as the guide's ``approve`` /
``reject`` signals (for code that signals directly). The ``decide`` update is accepted only from
the named approver (``approver_email``, compared case-insensitively with the decider's e-mail
the API took from its token) or from a caller the API vouches may decide for others
(``delegated``, the ``approvals:delegate`` scope); anyone else is refused by its validator,
synchronously and without a trace in the history. The first decision wins: a later ``decide`` is
refused the same way, with the decision that stands; later signals are logged and ignored. The
result and the ``state`` query say who decided and whether it was someone other than the
approver (``delegated``). Signals carry no caller: whoever may signal the workflow through
Temporal is trusted, as in the guide. Nobody deciding within
``ApprovalInput.timeout_seconds`` (24 h by default) is a normal outcome, ``expired``, not a
failure. The inherited ``cancel`` signal withdraws the request: the workflow completes
``cancelled``. A cancellation through Temporal itself (the Web UI, the CLI, ``handle.cancel()``)
withdraws it too and the run ends Temporal-CANCELED. Nothing is undone either way: the request
e-mail has been sent. See docs/cancellation.md.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Literal

from temporal_core.authoring.base_workflow import BaseWorkflow
from temporal_core.authoring.cancellation import cancelled_through_temporal
from temporal_core.authoring.registry import workflow_defn
from temporalio import workflow
from temporalio.common import VersioningBehavior
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts.approvals import (
        APPROVAL,
        DECISION_ALREADY_MADE,
        NOT_THE_APPROVER,
        REQUEST_WITHDRAWN,
        ApprovalInput,
        ApprovalOutcome,
        ApprovalOutput,
        ApprovalState,
        Decision,
        DecisionMade,
        DecisionRequest,
        is_approver,
    )

    from worker_approvals.activities import ApprovalActivities
    from worker_approvals.models import ApprovalRequestEmail

__all__ = ["ApprovalWorkflow"]


@workflow_defn(queue=APPROVAL.queue)
# AUTO_UPGRADE: a request waits on a person for up to timeout_seconds (a day by default, no upper
# bound), and pinning would keep every old build running that long. Each new task runs on the
# current build instead, so a change must replay the histories of requests already waiting:
# behind workflow.patched, checked by tests/workers/test_history_replay.py (docs/deploying.md).
@workflow.defn(name=APPROVAL.name, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class ApprovalWorkflow(BaseWorkflow[ApprovalInput, ApprovalOutput]):
    """A human-in-the-loop approval; ``state`` reports ``pending`` until someone decides."""

    @workflow.init
    def __init__(self, input: ApprovalInput) -> None:
        """Pending, with no decision, knowing the approver before any update or signal arrives.

        ``workflow.init`` hands the input over here, so a ``decide`` delivered in the very first
        workflow task (before ``run`` begins) is checked against the real approver.
        """
        super().__init__()
        self.status = "pending"
        self.request_id: str | None = input.request_id
        self.approver_email: str | None = input.approver_email
        self.decision: Decision | None = None
        self.outcome: Literal["approved", "rejected"] | None = None
        self.delegated = False

    def current_state(self) -> ApprovalState:
        """The base state plus the request and, once made, the decision."""
        return ApprovalState(
            **super().current_state().model_dump(),
            request_id=self.request_id,
            approver_email=self.approver_email,
            decided_by=self.decision.decided_by if self.decision else None,
            delegated=self.delegated if self.decision else None,
            comment=self.decision.comment if self.decision else None,
        )

    @workflow.signal
    def approve(self, decision: Decision) -> None:
        """Approve the request (ignored once a decision was made)."""
        self._decide("approved", decision)

    @workflow.signal
    def reject(self, decision: Decision) -> None:
        """Reject the request (ignored once a decision was made)."""
        self._decide("rejected", decision)

    @workflow.update
    def decide(self, request: DecisionRequest) -> DecisionMade:
        """Approve or reject; the answer is the decision, which now stands for good."""
        self._decide(
            request.outcome, Decision(decided_by=request.decided_by, comment=request.comment)
        )
        return self._standing()

    @decide.validator
    def _refuse_unless_approver_and_undecided(self, request: DecisionRequest) -> None:
        # Runs before the update is recorded: a refusal leaves the history untouched, and
        # handler and validator run in one workflow task, so two racing decisions cannot both
        # pass. Who may decide is checked first, so a stranger learns nothing about the request.
        if not request.delegated and not self._by_approver(request.decided_by):
            raise ApplicationError(
                "only the approver named in the request may decide it",
                type=NOT_THE_APPROVER,
                non_retryable=True,
            )
        if self.outcome is not None and self.decision is not None:
            # The standing decision travels as the error's detail for the caller to show.
            standing = self._standing()
            raise ApplicationError(
                f"already {standing.outcome} by {standing.decided_by}",
                standing,
                type=DECISION_ALREADY_MADE,
                non_retryable=True,
            )
        if self.cancel_requested:
            raise ApplicationError(
                "the request was withdrawn", type=REQUEST_WITHDRAWN, non_retryable=True
            )

    def _by_approver(self, decided_by: str) -> bool:
        return self.approver_email is not None and is_approver(decided_by, self.approver_email)

    def _standing(self) -> DecisionMade:
        assert self.outcome is not None
        assert self.decision is not None
        return DecisionMade(
            outcome=self.outcome,
            decided_by=self.decision.decided_by,
            delegated=self.delegated,
            comment=self.decision.comment,
        )

    def _decide(self, outcome: Literal["approved", "rejected"], decision: Decision) -> None:
        if self.outcome is not None:
            workflow.logger.info(
                "ignoring %s by %s: already %s", outcome, decision.decided_by, self.outcome
            )
            return
        self.outcome = outcome
        self.decision = decision
        # Recorded, not checked, for a signal: it has no verified caller (see the module doc).
        self.delegated = not self._by_approver(decision.decided_by)

    @workflow.run
    async def run(self, input: ApprovalInput) -> ApprovalOutput:
        """Send the request, then wait for a decision, a cancel, or the timeout."""
        try:
            outcome = await self._ask(input)
        except (ActivityError, asyncio.CancelledError):
            if not cancelled_through_temporal():
                raise
            # Cancelled through Temporal while sending or waiting: withdrawn, and the run ends
            # CANCELED. An e-mail cannot be unsent, so there is nothing to undo.
            self._finish(input, "cancelled")
            workflow.logger.info("request %s withdrawn through Temporal", input.request_id)
            raise asyncio.CancelledError(f"approval {input.request_id} withdrawn") from None
        return self._finish(input, outcome)

    async def _ask(self, input: ApprovalInput) -> ApprovalOutcome:
        """Send the request and wait: the decision, ``expired`` or ``cancelled`` (signal)."""
        self.step = "sending request"
        await self.execute_activity(
            ApprovalActivities.send_approval_request,
            ApprovalRequestEmail(
                request_id=input.request_id,
                workflow_id=workflow.info().workflow_id,
                approver_email=input.approver_email,
                subject=input.subject,
                details=input.details,
                timeout_seconds=input.timeout_seconds,
            ),
        )
        self.step = "waiting for decision"
        try:
            await workflow.wait_condition(
                lambda: self.outcome is not None or self.cancel_requested,
                timeout=timedelta(seconds=input.timeout_seconds),
            )
        except TimeoutError:
            workflow.logger.info("request %s expired without a decision", input.request_id)
            return "expired"
        if self.outcome is not None:
            return self.outcome
        workflow.logger.info("request %s withdrawn: %s", input.request_id, self.cancel_reason)
        return "cancelled"

    def _finish(self, input: ApprovalInput, status: ApprovalOutcome) -> ApprovalOutput:
        self.status = status
        self.step = None
        self.progress = 100
        if status == "cancelled":
            comment = self.cancel_reason
        else:
            comment = self.decision.comment if self.decision else None
        return ApprovalOutput(
            request_id=input.request_id,
            status=status,
            decided_by=self.decision.decided_by if self.decision else None,
            delegated=self.delegated if self.decision else False,
            comment=comment,
        )
