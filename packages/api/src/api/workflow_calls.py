"""The Temporal calls every resource makes, with their HTTP meaning decided in one place.

* ``start_once`` starts a workflow at most once per id: ``USE_EXISTING`` makes the server return
  the running workflow instead of failing (atomically: no read-then-write race between two
  retries), and ``REJECT_DUPLICATE`` refuses to start a second run after the first has finished;
  that retry is answered with the finished workflow, since it is the one the key started. A start
  Temporal did not confirm (deadline passed, connection lost) may have happened: it becomes a 503
  that says to check ``status_url`` and retry with the same key, never "start another".
* ``describe`` turns an unknown id, or an id of another workflow type, into a 404. Acting
  ``on_behalf_of`` a caller (api.ownership), a workflow another caller owns is the same 404,
  and a short id finds the caller's own workflow (``order-A-1001`` is the caller's
  ``order-<owner tag>-A-1001``); every call on a workflow describes it first and then addresses
  the workflow it found, so that one check guards them all.
* ``look_up`` names a run that completed with a ``cancelled`` result "cancelled", like a run
  Temporal itself cancelled: over HTTP there is one cancellation.
* ``wait_for_result`` waits at most ``wait`` seconds and reports "still running" instead of
  hanging; a workflow that ended without a result becomes a 409 that says how it ended
  (``workflow-cancelled`` for a Temporal cancellation); its ``detail`` never repeats the
  failure's message, which may be any exception's text from any activity.
* ``update`` runs a workflow update (describe first: 404, 409 once ended); a validator's refusal
  comes back as ``Refused`` for the route to name, and an update without an answer in time
  becomes a 503 that says it may still apply.
* Each call to Temporal is timed by operation (``api.metrics.temporal_call``).
* Every call carries a deadline (``API_TEMPORAL_CALL_TIMEOUT_SECONDS``), so a Temporal outage or
  a hung server becomes a 503 rather than a stuck request; only ``?wait`` long polls wait longer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from contracts.search_attributes import OWNER
from pydantic import BaseModel
from temporal_core import SignalContract, UpdateContract, WorkflowContract, was_started
from temporal_core.authoring.search_attributes import to_typed_search_attributes
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.auth.principal import Principal
from api.metrics import temporal_call
from api.models.common import SignalSent, WorkflowStatusName
from api.ownership import owns, scoped_id
from api.problems import (
    OutcomeUnknown,
    WorkflowCancelled,
    WorkflowFinished,
    WorkflowNotFound,
    WorkflowNotStarted,
    WorkflowUnsuccessful,
    is_unavailable,
)
from api.settings import ApiSettings

__all__ = [
    "ACTIVE_STATUSES",
    "Finished",
    "Pending",
    "Refused",
    "Snapshot",
    "Started",
    "WorkflowCalls",
    "completed_status",
    "status_name",
]

logger = logging.getLogger(__name__)

InputT = TypeVar("InputT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)
StateT = TypeVar("StateT", bound=BaseModel)
ArgT = TypeVar("ArgT", bound=BaseModel)
AnswerT = TypeVar("AnswerT")

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


def completed_status(result: BaseModel) -> Literal["completed", "cancelled"]:
    """How a completed run ended: ``cancelled`` when a ``cancel`` signal stopped it.

    Every contract's result carries a ``status``; a workflow that honours the ``cancel`` signal
    undoes its work and completes with ``status="cancelled"`` (docs/cancellation.md). Over HTTP
    that is a cancellation, the same as a run Temporal itself cancelled.
    """
    return "cancelled" if getattr(result, "status", None) == "cancelled" else "completed"


@dataclass(frozen=True)
class Started:
    """Outcome of ``start_once``: the workflow, and whether this call started it."""

    workflow_id: str
    run_id: str | None
    started: bool
    ended: WorkflowStatusName | None = None
    """How the workflow ended, when the key's workflow had already run to its end."""


@dataclass(frozen=True)
class Refused:
    """The workflow refused an update (its validator, or its handler raised)."""

    kind: str | None
    """The ``ApplicationError`` type the workflow chose, e.g. ``DecisionAlreadyMade``."""
    message: str
    details: tuple[Any, ...] = ()
    """The error's details, as plain JSON values."""


@dataclass(frozen=True)
class Pending:
    """The workflow had not finished when the wait ran out."""

    status: WorkflowStatusName


@dataclass(frozen=True)
class Finished(Generic[ResultT]):
    """The workflow completed with ``value``."""

    value: ResultT


@dataclass(frozen=True)
class Snapshot(Generic[ResultT, StateT]):
    """What a status endpoint reports about one workflow."""

    status: WorkflowStatusName
    """``cancelled`` also for a run that completed with a cancelled result."""
    state: StateT | None = None
    """The ``state`` query's answer while it runs (None when no worker answered in time)."""
    result: ResultT | None = None
    """The result, once it completed."""
    workflow_id: str | None = None
    """The workflow found: the full id when the caller named its own by the short form."""


class WorkflowCalls:
    """Start, describe, query, signal, update and await workflows through their contracts.

    Works on ``temporal_core.WorkflowContract`` objects (workflow name, queue and models), never
    on workflow classes, so the API imports no worker code.
    """

    def __init__(
        self,
        client: Client,
        settings: ApiSettings,
        *,
        task_queues: Mapping[str, str] | None = None,
        caller: Principal | None = None,
    ) -> None:
        """Use ``client`` with the deadlines in ``settings``.

        ``task_queues`` maps a contract's queue to the Temporal task queue to start its workflows
        on; tests use it to reach workers on per-test queues. Unmapped queues are used as named.
        ``caller``: see :meth:`on_behalf_of`.
        """
        self.client = client
        self.settings = settings
        self.caller = caller
        self._task_queues = dict(task_queues or {})
        self._deadline = timedelta(seconds=settings.temporal_call_timeout_seconds)
        # A query is answered by a worker in milliseconds; waiting longer only delays the answer
        # "no worker is polling", which a status request reports as state null.
        self._query_deadline = min(self._deadline, _QUERY_DEADLINE)

    def on_behalf_of(self, caller: Principal) -> WorkflowCalls:
        """The same calls, made for ``caller``.

        Starts record it as ``Owner``; every call on a workflow it does not own (unless it is
        an admin) answers 404, as for an unknown id.
        """
        return WorkflowCalls(
            self.client, self.settings, task_queues=self._task_queues, caller=caller
        )

    def _with_owner(self, options: dict[str, Any]) -> dict[str, Any]:
        if self.caller is None:
            return options
        given = options.get("search_attributes")
        attributes = to_typed_search_attributes(given) if given else TypedSearchAttributes([])
        pairs: list[SearchAttributePair[Any]] = [
            pair
            for pair in attributes  # pyright: ignore[reportUnknownVariableType]
            if pair.key.name != OWNER.name  # pyright: ignore[reportUnknownMemberType]
        ]
        pairs.append(SearchAttributePair(OWNER, self.caller.subject))
        return {**options, "search_attributes": TypedSearchAttributes(pairs)}

    async def count_running(self, contract: WorkflowContract[Any, Any, Any]) -> int:
        """How many of ``contract``'s workflows the caller owns that are running (visibility).

        Visibility is eventually consistent: a start from a moment ago may not be counted yet,
        so a cap built on this can be passed by a few starts sent at the same instant.
        """
        assert self.caller is not None, "count_running needs on_behalf_of(caller)"
        query = (
            f"WorkflowType = {_quoted(contract.name)} AND ExecutionStatus = 'Running' "
            f"AND {OWNER.name} = {_quoted(self.caller.subject)}"
        )
        with temporal_call("count"):
            counted = await self.client.count_workflows(query, rpc_timeout=self._deadline)
        return counted.count

    async def start_once(
        self,
        contract: WorkflowContract[InputT, Any, Any],
        input: InputT,
        *,
        workflow_id: str,
        status_url: str,
        retry_key: str | None,
        memo: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Started:
        """Start ``contract``'s workflow as ``workflow_id`` unless the id was used already.

        A running workflow is returned as found; one that already ran to its end comes back with
        ``ended`` set. ``retry_key`` names what makes a retry find this workflow (``order_id``,
        ``Idempotency-Key``), or is None when nothing does; a 503 for a start whose outcome is
        unknown tells the client to retry with it. Other keywords (timeouts, retry policy,
        ``start_delay``, ``search_attributes``) go to ``WorkflowContract.start``.
        """
        try:
            with temporal_call("start"):
                handle = await contract.start(
                    self.client,
                    input,
                    id=workflow_id,
                    task_queue=self._task_queues.get(contract.queue, contract.queue),
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    memo=memo or None,
                    rpc_timeout=self._deadline,
                    **self._with_owner(options),
                )
        except WorkflowAlreadyStartedError:
            # The key's workflow ran to its end; a retry of the request that started it must
            # learn that, not be told to start another (which would, e.g., charge twice).
            description = await self.describe(contract, workflow_id)
            ended = status_name(description)
            if ended == "completed":
                with temporal_call("result"):
                    result = await contract.result(
                        self.client, description.id, rpc_timeout=self._deadline
                    )
                ended = completed_status(result)
            return Started(workflow_id, description.run_id, started=False, ended=ended)
        except RPCError as error:
            if is_unavailable(error):
                raise self._start_unknown(workflow_id, status_url, retry_key) from error
            raise
        except TimeoutError as error:
            raise self._start_unknown(workflow_id, status_url, retry_key) from error
        return Started(workflow_id, handle.result_run_id, was_started(handle))

    def _start_unknown(
        self, workflow_id: str, status_url: str, retry_key: str | None
    ) -> OutcomeUnknown:
        # The request may have reached the server and been stored before the answer was lost.
        if retry_key is None:
            retry = (
                "this request had no Idempotency-Key, so a retry would start another one: check "
                "status_url first, and send an Idempotency-Key to make retries safe"
            )
        else:
            retry = (
                f"check status_url (404: it did not start), and retry with the same {retry_key}: "
                "a retry returns the workflow this key started and never starts a second one"
            )
        return OutcomeUnknown(
            f"Temporal did not confirm the start of {workflow_id} within "
            f"{self._deadline.total_seconds():g} s, so it may or may not have started; {retry}",
            workflow_id=workflow_id,
            status_url=status_url,
        )

    async def describe(
        self, contract: WorkflowContract[Any, Any, Any], workflow_id: str
    ) -> WorkflowExecutionDescription:
        """Describe ``workflow_id``; 404 unless it exists and is a workflow of ``contract``.

        Acting for a caller: the workflow of that id if the caller owns it (or is an admin),
        else the caller's own workflow behind a short id (``order-A-1001``, as the README's
        examples write it). Anything else is the same 404 as for an id nobody used, so another
        caller's workflow stays unseen. The description's ``id`` is the workflow id every
        further call must address.
        """
        candidates = [workflow_id]
        if self.caller is not None:
            candidates.append(scoped_id(workflow_id, self.caller.subject))
        for candidate in candidates:
            description = await self._describe_one(contract, candidate)
            if description is None or description.workflow_type != contract.name:
                continue
            if self.caller is None or owns(self.caller, description):
                return description
        raise self._not_found(contract, workflow_id)

    async def _describe_one(
        self, contract: WorkflowContract[Any, Any, Any], temporal_id: str
    ) -> WorkflowExecutionDescription | None:
        try:
            with temporal_call("describe"):
                return await contract.describe(self.client, temporal_id, rpc_timeout=self._deadline)
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    async def query_state(
        self, contract: WorkflowContract[Any, Any, StateT], workflow_id: str
    ) -> StateT | None:
        """The ``state`` query's answer, or None when no worker answered it in time.

        ``workflow_id`` is the Temporal workflow id (a description's ``id``).
        """
        try:
            with temporal_call("query"):
                return await contract.query_state(
                    self.client, workflow_id, rpc_timeout=self._query_deadline
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

    async def look_up(
        self, contract: WorkflowContract[Any, ResultT, StateT], workflow_id: str
    ) -> Snapshot[ResultT, StateT]:
        """The workflow's status; its ``state`` query while it runs; its result once completed.

        A scheduled workflow (start delay not over) has run no code yet, so nobody could answer
        the query: its state is None, as is that of a workflow that ended without a result.
        """
        description = await self.describe(contract, workflow_id)
        status = status_name(description)
        if status == "completed":
            with temporal_call("result"):
                result = await contract.result(
                    self.client, description.id, rpc_timeout=self._deadline
                )
            return Snapshot(
                status=completed_status(result), result=result, workflow_id=description.id
            )
        if status not in ACTIVE_STATUSES or status == "scheduled":
            return Snapshot(status=status, workflow_id=description.id)
        state = await self.query_state(contract, description.id)
        return Snapshot(status=status, state=state, workflow_id=description.id)

    async def signal(
        self,
        contract: WorkflowContract[Any, Any, Any],
        workflow_id: str,
        signal: SignalContract[ArgT],
        argument: ArgT,
        *,
        status_url: str,
    ) -> SignalSent:
        """Send ``signal(argument)``; 404 for an unknown id, 409 if the workflow has ended.

        Returns the 202 answer every signal route gives, naming the signal and echoing its
        argument.
        """
        description = await self.describe(contract, workflow_id)
        status = status_name(description)
        if status not in ACTIVE_STATUSES:
            raise await self._finished(contract, workflow_id, status, status_url)
        try:
            with temporal_call("signal"):
                await contract.signal(
                    self.client, description.id, signal, argument, rpc_timeout=self._deadline
                )
        except RPCError as error:
            # It ended between the describe and the signal.
            if error.status == RPCStatusCode.NOT_FOUND:
                raise await self._finished(contract, workflow_id, "completed", status_url) from None
            raise
        return SignalSent(
            workflow_id=workflow_id,
            signal=signal.name,
            status_url=status_url,
            details=argument.model_dump(),
        )

    async def update(
        self,
        contract: WorkflowContract[Any, Any, Any],
        workflow_id: str,
        update: UpdateContract[ArgT, AnswerT],
        argument: ArgT,
        *,
        status_url: str,
    ) -> AnswerT | Refused:
        """Run ``update(argument)`` and return the workflow's answer, or how it refused.

        404 for an unknown id; 409 ``workflow-finished`` once the workflow has ended and
        ``workflow-not-started`` while its start is delayed (no code runs yet to answer). An
        update without an answer within the deadline is a 503 that says it may still apply.
        """
        description = await self.describe(contract, workflow_id)
        status = status_name(description)
        if status == "scheduled":
            raise WorkflowNotStarted(
                f"workflow {workflow_id} has not begun (its start is delayed), so it cannot "
                "answer yet",
                workflow_id=workflow_id,
                workflow_status=status,
                status_url=status_url,
            )
        if status not in ACTIVE_STATUSES:
            raise await self._finished(contract, workflow_id, status, status_url)
        try:
            with temporal_call("update"):
                return await contract.execute_update(
                    self.client, description.id, update, argument, rpc_timeout=self._deadline
                )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError):
                return Refused(cause.type, cause.message, tuple(cause.details))
            return Refused(None, str(cause or error))
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                # It ended between the describe and the update.
                raise await self._finished(contract, workflow_id, "completed", status_url) from None
            if is_unavailable(error):
                raise self._update_unknown(workflow_id, update, status_url) from error
            raise
        except WorkflowUpdateRPCTimeoutOrCancelledError as error:
            raise self._update_unknown(workflow_id, update, status_url) from error

    def _update_unknown(
        self, workflow_id: str, update: UpdateContract[Any, Any], status_url: str
    ) -> OutcomeUnknown:
        # The server may hold the update and deliver it when a worker picks the workflow up.
        return OutcomeUnknown(
            f"no answer to {update.name} from workflow {workflow_id} within "
            f"{self._deadline.total_seconds():g} s (Temporal or its worker is slow or down); it "
            "may still take effect: check status_url, then retry the same request",
            workflow_id=workflow_id,
            status_url=status_url,
        )

    async def wait_for_result(
        self,
        contract: WorkflowContract[Any, ResultT, Any],
        workflow_id: str,
        *,
        wait: float,
        status_url: str,
    ) -> Finished[ResultT] | Pending:
        """The result if the workflow completes within ``wait`` seconds, else ``Pending``.

        A run cancelled through Temporal raises ``WorkflowCancelled`` (409); one that failed,
        was terminated or timed out raises ``WorkflowUnsuccessful`` (409) with the failure's
        message. A run stopped by a ``cancel`` signal completed: its result is returned.
        """
        description = await self.describe(contract, workflow_id)
        status = status_name(description)
        handle = contract.get_handle(self.client, description.id)
        try:
            if status in ACTIVE_STATUSES:
                if wait <= 0:
                    return Pending(status)
                try:
                    # Timed apart from "result": a long poll lasts as long as the caller's ?wait.
                    with temporal_call("wait_result"):
                        async with asyncio.timeout(wait):
                            value = await handle.result()
                except TimeoutError:
                    return Pending(status)
            else:
                with temporal_call("result"):
                    value = await handle.result(rpc_timeout=self._deadline)
        except WorkflowFailureError as error:
            final = status_name(await self.describe(contract, workflow_id))
            if final == "cancelled":
                raise WorkflowCancelled(
                    f"workflow {workflow_id} was cancelled through Temporal and has no result",
                    workflow_id=workflow_id,
                    workflow_status=final,
                    status_url=status_url,
                ) from None
            failure_type = _failure_type(error)
            logger.info("workflow %s %s (failure type %s)", workflow_id, final, failure_type)
            raise WorkflowUnsuccessful(
                f"workflow {workflow_id} {final.replace('_', ' ')} without a result; its "
                "history in Temporal says why",
                failure_type=failure_type,
                workflow_id=workflow_id,
                workflow_status=final,
                status_url=status_url,
            ) from None
        return Finished(value)

    async def started_input(
        self, contract: WorkflowContract[InputT, Any, Any], workflow_id: str
    ) -> InputT:
        """The input ``workflow_id`` was started with, read from its first history event.

        For checks that need a field of the input after the run has ended (when no ``state``
        query answers); decoded with the client's data converter, as the worker decodes it.
        404 when no workflow of ``contract`` has the id.
        """
        handle = self.client.get_workflow_handle(workflow_id)
        try:
            with temporal_call("history"):
                async for event in handle.fetch_history_events(
                    page_size=1, rpc_timeout=self._deadline
                ):
                    started = event.workflow_execution_started_event_attributes
                    if started.workflow_type.name != contract.name:
                        break
                    decoded = await self.client.data_converter.decode(
                        started.input.payloads, [contract.input_type]
                    )
                    return decoded[0]
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        raise self._not_found(contract, workflow_id)

    def not_found(
        self, contract: WorkflowContract[Any, Any, Any], workflow_id: str
    ) -> WorkflowNotFound:
        """The 404 for ``workflow_id``, the same whether it is missing or the caller's to see."""
        return self._not_found(contract, workflow_id)

    @staticmethod
    def _not_found(contract: WorkflowContract[Any, Any, Any], workflow_id: str) -> WorkflowNotFound:
        return WorkflowNotFound(
            f"no {contract.name} workflow has the id {workflow_id}", workflow_id=workflow_id
        )

    async def _finished(
        self,
        contract: WorkflowContract[Any, Any, Any],
        workflow_id: str,
        status: WorkflowStatusName,
        status_url: str,
    ) -> WorkflowFinished:
        if status == "completed":
            # Name it as the status endpoint does: a run a cancel signal stopped is cancelled.
            status = (await self.look_up(contract, workflow_id)).status
        return WorkflowFinished(
            f"workflow {workflow_id} has already finished ({status}); it takes no more signals "
            "or updates",
            workflow_id=workflow_id,
            workflow_status=status,
            status_url=status_url,
        )


def _quoted(value: str) -> str:
    # A visibility query string literal; a subject is the token's, so never trust its quotes.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _failure_type(error: WorkflowFailureError) -> str | None:
    # The innermost application error is what the workflow (or an activity) raised on purpose;
    # its type is a code the contract may name, its message is not for clients.
    cause: BaseException | None = error.cause
    found: str | None = None
    while cause is not None:
        if isinstance(cause, ApplicationError) and cause.type:
            found = cause.type
        cause = cause.__cause__
    return found
