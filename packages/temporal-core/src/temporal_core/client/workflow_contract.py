"""Typed references to workflows by name: what a caller needs without the implementation.

A service that starts another service's workflow should not import that workflow's class: the
class drags in its activities and their collaborators (payments, mail, storage). A
:class:`WorkflowContract` names the workflow, its task queue and its models instead, and offers
every call a caller makes, typed by those models::

    ORDER = WorkflowContract(
        name="OrderWorkflow", queue="orders",
        input_type=OrderInput, result_type=OrderOutput, state_type=OrderState,
    )
    CANCEL = SignalContract(name="cancel", arg_type=CancelRequest)

    handle = await ORDER.start(client, OrderInput(...), id="order-1")
    state: OrderState = await ORDER.query_state(client, "order-1")
    await ORDER.signal(client, "order-1", CANCEL, CancelRequest(reason="dup"))
    output: OrderOutput = await ORDER.result(client, "order-1")
    schedule = await ORDER.create_schedule(
        client, OrderInput(...), schedule_id="nightly", cron_expressions=["0 2 * * *"]
    )

The worker that implements the contract checks itself against it with
``temporal_core.authoring.contract_check.drift`` (a test per worker package), so a renamed
workflow, a moved queue or a changed model fails CI instead of a production call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    WorkflowExecutionDescription,
    WorkflowHandle,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)

from temporal_core.authoring.search_attributes import (
    SearchAttributesInput,
    to_typed_search_attributes,
)
from temporal_core.client.converter import pydantic_client
from temporal_core.client.schedules import create_workflow_schedule

__all__ = ["QueryContract", "SignalContract", "UpdateContract", "WorkflowContract"]

InputT = TypeVar("InputT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)
StateT = TypeVar("StateT", bound=BaseModel)
ArgT = TypeVar("ArgT", bound=BaseModel)
AnswerT = TypeVar("AnswerT")


@dataclass(frozen=True)
class SignalContract(Generic[ArgT]):
    """A signal by name with its one argument model."""

    name: str
    arg_type: type[ArgT]


@dataclass(frozen=True)
class UpdateContract(Generic[ArgT, AnswerT]):
    """A workflow update by name: one argument model in, ``result_type`` out."""

    name: str
    arg_type: type[ArgT]
    result_type: type[AnswerT]


@dataclass(frozen=True)
class QueryContract(Generic[AnswerT]):
    """A query by name and the type of its answer."""

    name: str
    result_type: type[AnswerT]


@dataclass(frozen=True)
class WorkflowContract(Generic[InputT, ResultT, StateT]):
    """A workflow type as its callers see it; see the module docstring."""

    name: str
    """The Temporal workflow type name."""
    queue: str
    """The task queue its worker service polls."""
    input_type: type[InputT]
    result_type: type[ResultT]
    state_type: type[StateT]
    """The answer of the ``state`` query every ``BaseWorkflow`` has."""
    signals: tuple[SignalContract[Any], ...] = field(default=())
    """Every signal the workflow must accept (the drift check compares them)."""
    updates: tuple[UpdateContract[Any, Any], ...] = field(default=())
    """Every update the workflow must accept."""

    @property
    def state_query(self) -> QueryContract[StateT]:
        """The ``state`` query, typed by ``state_type``."""
        return QueryContract(name="state", result_type=self.state_type)

    async def start(
        self,
        client: Client,
        input: InputT,
        *,
        id: str,
        task_queue: str | None = None,
        search_attributes: SearchAttributesInput | None = None,
        memo: Mapping[str, Any] | None = None,
        start_delay: timedelta | None = None,
        **options: Any,
    ) -> WorkflowHandle[Any, ResultT]:
        """Start the workflow on its queue; other keywords go to ``Client.start_workflow``."""
        self._check_input(input)
        return await pydantic_client(client).start_workflow(
            self.name,
            input,
            id=id,
            task_queue=task_queue or self.queue,
            result_type=self.result_type,
            search_attributes=to_typed_search_attributes(search_attributes)
            if search_attributes
            else None,
            memo=memo,
            start_delay=start_delay,
            **options,
        )

    async def create_schedule(
        self,
        client: Client,
        input: InputT,
        *,
        schedule_id: str,
        cron_expressions: Sequence[str] = (),
        intervals: Sequence[timedelta] = (),
        time_zone: str | None = None,
        overlap: ScheduleOverlapPolicy = ScheduleOverlapPolicy.SKIP,
        workflow_id_prefix: str | None = None,
        paused: bool = False,
        note: str | None = None,
        task_queue: str | None = None,
        **start_options: Any,
    ) -> ScheduleHandle:
        """Create a Temporal Schedule that starts the workflow on its queue again and again.

        The same as ``BaseWorkflow.create_schedule`` for a caller without the workflow class;
        other keywords go to ``temporal_core.client.schedules.create_workflow_schedule``.
        """
        self._check_input(input)
        return await create_workflow_schedule(
            client,
            workflow=self.name,
            input=input,
            task_queue=task_queue or self.queue,
            schedule_id=schedule_id,
            cron_expressions=cron_expressions,
            intervals=intervals,
            time_zone=time_zone,
            overlap=overlap,
            workflow_id_prefix=workflow_id_prefix,
            paused=paused,
            note=note,
            **start_options,
        )

    def get_handle(
        self, client: Client, workflow_id: str, *, run_id: str | None = None
    ) -> WorkflowHandle[Any, ResultT]:
        """A handle whose ``result()`` is a ``result_type``."""
        return pydantic_client(client).get_workflow_handle(
            workflow_id, run_id=run_id, result_type=self.result_type
        )

    async def describe(
        self, client: Client, workflow_id: str, *, rpc_timeout: timedelta | None = None
    ) -> WorkflowExecutionDescription:
        """The server's description of the workflow (status, times, memo, search attributes)."""
        return await self.get_handle(client, workflow_id).describe(rpc_timeout=rpc_timeout)

    async def query_state(
        self, client: Client, workflow_id: str, *, rpc_timeout: timedelta | None = None
    ) -> StateT:
        """The ``state`` query's answer as a ``state_type``."""
        return await self.query(client, workflow_id, self.state_query, rpc_timeout=rpc_timeout)

    async def query(
        self,
        client: Client,
        workflow_id: str,
        query: QueryContract[AnswerT],
        *,
        rpc_timeout: timedelta | None = None,
    ) -> AnswerT:
        """Run ``query`` and return its answer typed by the query contract."""
        handle = self.get_handle(client, workflow_id)
        answer: AnswerT = await handle.query(
            query.name, result_type=query.result_type, rpc_timeout=rpc_timeout
        )
        return answer

    async def signal(
        self,
        client: Client,
        workflow_id: str,
        signal: SignalContract[ArgT],
        arg: ArgT,
        *,
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Send ``signal`` with its argument model."""
        self._check_declared(signal, self.signals)
        await self.get_handle(client, workflow_id).signal(signal.name, arg, rpc_timeout=rpc_timeout)

    async def execute_update(
        self,
        client: Client,
        workflow_id: str,
        update: UpdateContract[ArgT, AnswerT],
        arg: ArgT,
        *,
        rpc_timeout: timedelta | None = None,
    ) -> AnswerT:
        """Run ``update`` and wait for the workflow's answer (a rejection raises)."""
        self._check_declared(update, self.updates)
        handle: WorkflowHandle[Any, Any] = self.get_handle(client, workflow_id)
        answer: AnswerT = await handle.execute_update(  # pyright: ignore[reportUnknownMemberType]
            update.name, arg, result_type=update.result_type, rpc_timeout=rpc_timeout
        )
        return answer

    async def start_update(
        self,
        client: Client,
        workflow_id: str,
        update: UpdateContract[ArgT, AnswerT],
        arg: ArgT,
        *,
        wait_for_stage: WorkflowUpdateStage = WorkflowUpdateStage.ACCEPTED,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[AnswerT]:
        """Send ``update`` and return once it is accepted; await the handle for the answer."""
        self._check_declared(update, self.updates)
        handle: WorkflowHandle[Any, Any] = self.get_handle(client, workflow_id)
        return await handle.start_update(  # pyright: ignore[reportUnknownMemberType]
            update.name,
            arg,
            wait_for_stage=wait_for_stage,
            result_type=update.result_type,
            rpc_timeout=rpc_timeout,
        )

    async def result(
        self, client: Client, workflow_id: str, *, rpc_timeout: timedelta | None = None
    ) -> ResultT:
        """Wait for the result; raises ``WorkflowFailureError`` when the run did not complete."""
        return await self.get_handle(client, workflow_id).result(rpc_timeout=rpc_timeout)

    def _check_input(self, input: object) -> None:
        if not isinstance(input, self.input_type):
            raise TypeError(
                f"{self.name} takes {self.input_type.__name__}, got {type(input).__name__}"
            )

    def _check_declared(
        self,
        call: SignalContract[Any] | UpdateContract[Any, Any],
        declared: tuple[SignalContract[Any] | UpdateContract[Any, Any], ...],
    ) -> None:
        # Typing cannot tie a signal constant to its workflow; this catches sending an approval's
        # signal to an order before it reaches a worker that would reject it less clearly.
        if call not in declared:
            kind = "signal" if isinstance(call, SignalContract) else "update"
            raise ValueError(f"{self.name} declares no {kind} {call.name!r}")
