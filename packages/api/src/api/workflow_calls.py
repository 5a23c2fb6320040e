"""The Temporal calls every resource makes, with their HTTP meaning decided in one place.

* ``start_once`` starts a workflow at most once per id: ``USE_EXISTING`` makes the server return
  the running workflow instead of failing (atomically: no read-then-write race between two
  retries), and ``REJECT_DUPLICATE`` refuses to start a second run after the first has finished,
  which becomes a 409 carrying the existing id.
* ``describe`` turns an unknown id, or an id of another workflow type, into a 404.
* ``wait_for_result`` waits at most ``wait`` seconds and reports "still running" instead of
  hanging; a workflow that ended without a result becomes a 409 that says how it ended.
* Every call carries a deadline, so a Temporal outage becomes a 503 rather than a stuck request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporal_core import BaseWorkflow, was_started
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.models.common import SignalSent, WorkflowStatusName
from api.problems import (
    WorkflowAlreadyExists,
    WorkflowFinished,
    WorkflowNotFound,
    WorkflowUnsuccessful,
    is_unavailable,
)
from api.settings import ApiSettings

__all__ = ["Finished", "Pending", "Started", "WorkflowCalls", "status_name"]

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")

_QUERY_DEADLINE = timedelta(seconds=3)
# How the client reports a call that ran past its deadline.
_UNANSWERED = frozenset({RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED})

_STATUS_NAMES: dict[WorkflowExecutionStatus, WorkflowStatusName] = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "terminated",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "continued_as_new",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}
ACTIVE_STATUSES: frozenset[WorkflowStatusName] = frozenset(
    {"scheduled", "running", "continued_as_new"}
)


def status_name(description: WorkflowExecutionDescription) -> WorkflowStatusName:
    """The API's name for a workflow's status; a delayed start that has not begun is scheduled."""
    status = description.status
    if status is None:
        return "running"
    if status == WorkflowExecutionStatus.RUNNING:
        begins = description.execution_time
        if begins is not None and begins > datetime.now(UTC):
            return "scheduled"
    return _STATUS_NAMES[status]


@dataclass(frozen=True)
class Started:
    """Outcome of ``start_once``: the workflow, and whether this call started it."""

    workflow_id: str
    run_id: str | None
    started: bool


@dataclass(frozen=True)
class Pending:
    """The workflow had not finished when the wait ran out."""

    status: WorkflowStatusName


@dataclass(frozen=True)
class Finished(Generic[ResultT]):
    """The workflow completed with ``value``."""

    value: ResultT


class WorkflowCalls:
    """Start, describe, query, signal and await workflows for one request."""

    def __init__(self, client: Client, settings: ApiSettings) -> None:
        """Use ``client`` with the deadlines and queue routing in ``settings``."""
        self.client = client
        self.settings = settings
        self._deadline = timedelta(seconds=settings.temporal_call_timeout_seconds)
        # A query is answered by a worker in milliseconds; waiting longer only delays the answer
        # "no worker is polling", which a status request reports as state null.
        self._query_deadline = min(self._deadline, _QUERY_DEADLINE)

    async def start_once(
        self,
        workflow_cls: type[BaseWorkflow[Any, Any]],
        *,
        input: Any,
        workflow_id: str,
        status_url: str,
        memo: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Started:
        """Start ``workflow_cls`` as ``workflow_id`` unless it runs already; 409 if it finished."""
        queue = self.settings.task_queue_for(workflow_cls.task_queue())
        try:
            handle = await workflow_cls.start_workflow(
                self.client,
                input=input,
                id=workflow_id,
                task_queue=queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo=memo or None,
                rpc_timeout=self._deadline,
                **options,
            )
        except WorkflowAlreadyStartedError:
            raise WorkflowAlreadyExists(
                f"workflow {workflow_id} already ran to its end; the same business key never "
                "starts a second workflow, so use a new key to start another",
                workflow_id=workflow_id,
                status_url=status_url,
            ) from None
        return Started(handle.id, handle.result_run_id, was_started(handle))

    async def describe(
        self, workflow_cls: type[BaseWorkflow[Any, Any]], workflow_id: str
    ) -> WorkflowExecutionDescription:
        """Describe ``workflow_id``; 404 unless it exists and is a ``workflow_cls`` workflow."""
        handle = workflow_cls.get_handle(self.client, workflow_id)
        try:
            description = await handle.describe(rpc_timeout=self._deadline)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise self._not_found(workflow_cls, workflow_id) from None
            raise
        if description.workflow_type != workflow_cls.workflow_name():
            raise self._not_found(workflow_cls, workflow_id)
        return description

    async def query_state(
        self, workflow_cls: type[BaseWorkflow[Any, Any]], workflow_id: str
    ) -> dict[str, Any] | None:
        """The ``state`` query's answer, or None when no worker answered it in time."""
        handle = workflow_cls.get_handle(self.client, workflow_id)
        try:
            state: dict[str, Any] = await handle.query(
                workflow_cls.state, rpc_timeout=self._query_deadline
            )
        except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
            logger.info("state query of %s failed: %s", workflow_id, error)
            return None
        except RPCError as error:
            # A query needs a worker; with none polling, the server gives up at the deadline.
            # That says nothing about the workflow itself, so report the status without state.
            if error.status in _UNANSWERED or not is_unavailable(error):
                logger.info("state query of %s unanswered: %s", workflow_id, error)
                return None
            raise
        return state

    async def status_and_state(
        self, workflow_cls: type[BaseWorkflow[Any, Any]], workflow_id: str
    ) -> tuple[WorkflowStatusName, dict[str, Any] | None]:
        """The workflow's status, plus its ``state`` query answer while it runs.

        A scheduled workflow (start delay not over) has run no code yet, so nobody could answer
        the query: its state is None, as is a finished workflow's.
        """
        status = status_name(await self.describe(workflow_cls, workflow_id))
        if status not in ACTIVE_STATUSES or status == "scheduled":
            return status, None
        return status, await self.query_state(workflow_cls, workflow_id)

    async def signal(
        self,
        workflow_cls: type[BaseWorkflow[Any, Any]],
        workflow_id: str,
        signal: Callable[..., Any],
        argument: BaseModel,
        *,
        status_url: str,
    ) -> SignalSent:
        """Send ``signal(argument)``; 404 for an unknown id, 409 if the workflow has ended.

        Returns the 202 answer every signal route gives, naming the signal and echoing its
        argument.
        """
        description = await self.describe(workflow_cls, workflow_id)
        status = status_name(description)
        if status not in ACTIVE_STATUSES:
            raise self._finished(workflow_id, status, status_url)
        handle = workflow_cls.get_handle(self.client, workflow_id)
        try:
            await handle.signal(signal, argument, rpc_timeout=self._deadline)
        except RPCError as error:
            # It ended between the describe and the signal.
            if error.status == RPCStatusCode.NOT_FOUND:
                raise self._finished(workflow_id, "completed", status_url) from None
            raise
        return SignalSent(
            workflow_id=workflow_id,
            signal=signal.__name__,
            status_url=status_url,
            details=argument.model_dump(),
        )

    async def wait_for_result(
        self,
        workflow_cls: type[BaseWorkflow[Any, ResultT]],
        workflow_id: str,
        *,
        wait: float,
        status_url: str,
    ) -> Finished[ResultT] | Pending:
        """The result if the workflow completes within ``wait`` seconds, else ``Pending``.

        Raises ``WorkflowUnsuccessful`` (409) when it failed, was cancelled, terminated or timed
        out, with the failure's message.
        """
        description = await self.describe(workflow_cls, workflow_id)
        status = status_name(description)
        handle = workflow_cls.get_handle(self.client, workflow_id)
        try:
            if status in ACTIVE_STATUSES:
                if wait <= 0:
                    return Pending(status)
                try:
                    async with asyncio.timeout(wait):
                        value = await handle.result()
                except TimeoutError:
                    return Pending(status)
            else:
                value = await handle.result(rpc_timeout=self._deadline)
        except WorkflowFailureError as error:
            final = status_name(await self.describe(workflow_cls, workflow_id))
            raise WorkflowUnsuccessful(
                f"workflow {workflow_id} {final.replace('_', ' ')}: {_failure_message(error)}",
                workflow_id=workflow_id,
                workflow_status=final,
                status_url=status_url,
            ) from None
        return Finished(value)

    @staticmethod
    def _not_found(
        workflow_cls: type[BaseWorkflow[Any, Any]], workflow_id: str
    ) -> WorkflowNotFound:
        return WorkflowNotFound(
            f"no {workflow_cls.workflow_name()} workflow has the id {workflow_id}",
            workflow_id=workflow_id,
        )

    @staticmethod
    def _finished(workflow_id: str, status: str, status_url: str) -> WorkflowFinished:
        return WorkflowFinished(
            f"workflow {workflow_id} has already finished ({status}); it takes no more signals",
            workflow_id=workflow_id,
            workflow_status=status,
            status_url=status_url,
        )


def _failure_message(error: WorkflowFailureError) -> str:
    # The cause chain ends at what the workflow (or an activity) actually raised.
    cause: BaseException | None = error.cause
    message = str(error)
    while cause is not None:
        message = str(cause) or type(cause).__name__
        cause = cause.__cause__
    return message
