"""``BaseWorkflow[TInput, TReturn]``: typed start/execute/schedule helpers and shared handlers.

A concrete workflow declares its input and result models once, in the base's type arguments::

    @workflow_defn(queue="orders")
    @workflow.defn
    class OrderWorkflow(BaseWorkflow[OrderInput, OrderOutput]):
        @workflow.run
        async def run(self, input: OrderInput) -> OrderOutput: ...

and callers get ``WorkflowHandle[OrderWorkflow, OrderOutput]`` from ``OrderWorkflow.start_workflow``
with the queue taken from the registry and the configured defaults applied. Updates are typed the
same way: ``await ApprovalWorkflow.execute_update(client, id, ApprovalWorkflow.decide, request)``
returns the handler's declared result, and ``update_with_start`` starts the workflow if needed and
updates it in one atomic call. ``@workflow.defn`` and
``@workflow.run`` stay on the concrete class (the SDK ignores them on a base); the ``state`` query
and ``cancel`` signal below are inherited by every subclass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Generic, Self, TypeVar, cast, get_args, get_origin

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.client import (
    Client,
    ScheduleHandle,
    ScheduleOverlapPolicy,
    WithStartWorkflowOperation,
    WorkflowHandle,
    WorkflowUpdateHandle,
    WorkflowUpdateStage,
)
from temporalio.common import (
    RetryPolicy,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from temporal_core.authoring.activity_options import declared_options
from temporal_core.authoring.registry import registry
from temporal_core.authoring.search_attributes import (
    SearchAttributesInput,
    to_typed_search_attributes,
)
from temporal_core.client.converter import pydantic_client
from temporal_core.client.schedules import create_workflow_schedule

__all__ = ["BaseWorkflow", "CancelRequest", "WorkflowState", "was_started"]

TInput = TypeVar("TInput")
TReturn = TypeVar("TReturn")
UpdateArg = TypeVar("UpdateArg")
UpdateResult = TypeVar("UpdateResult")


class CancelRequest(BaseModel):
    """Argument of the ``cancel`` signal; every field is optional so a bare signal works too."""

    reason: str | None = Field(default=None, max_length=1000)


class WorkflowState(BaseModel):
    """What the ``state`` query reports; subclasses add fields through ``current_state``."""

    status: str
    step: str | None = None
    progress: int = Field(default=0, ge=0, le=100)
    cancel_requested: bool = False
    cancel_reason: str | None = None


class BaseWorkflow(Generic[TInput, TReturn]):
    """Base for workflows with a typed input and result, bound to a queue by the registry."""

    input_type: ClassVar[type[Any] | None] = None
    """The ``TInput`` a subclass declared, resolved when the subclass is created."""
    return_type: ClassVar[type[Any] | None] = None
    """The ``TReturn`` a subclass declared; results are converted into it."""

    def __init__(self) -> None:
        """Start in the ``running`` state with no step, no progress and no cancel request."""
        self.status = "running"
        self.step: str | None = None
        self.progress = 0
        self.cancel_requested = False
        self.cancel_reason: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for base in cast(tuple[Any, ...], getattr(cls, "__orig_bases__", ())):
            if get_origin(base) is BaseWorkflow:
                input_type, return_type = get_args(base)
                if not isinstance(input_type, TypeVar):
                    cls.input_type = input_type
                if not isinstance(return_type, TypeVar):
                    cls.return_type = return_type

    # Shared handlers --------------------------------------------------------------------------
    @workflow.query
    def state(self) -> dict[str, Any]:
        """Report status, current step, progress (0-100) and whether a cancel was asked for."""
        return self.current_state().model_dump(mode="json")

    @workflow.signal
    def cancel(self, request: CancelRequest | None = None) -> None:
        """Ask the workflow to stop; the run method decides how to wind down (compensate)."""
        self.cancel_requested = True
        self.cancel_reason = request.reason if request is not None else None

    def current_state(self) -> WorkflowState:
        """Build the ``state`` query answer; override to report more (return a subclass)."""
        return WorkflowState(
            status=self.status,
            step=self.step,
            progress=self.progress,
            cancel_requested=self.cancel_requested,
            cancel_reason=self.cancel_reason,
        )

    # Activities -------------------------------------------------------------------------------
    async def execute_activity(
        self,
        activity: Callable[..., Any],
        *args: Any,
        task_queue: str | None = None,
        start_to_close_timeout: timedelta | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        heartbeat_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        **options: Any,
    ) -> Any:
        """Run ``activity`` with the options given here, else those it declared.

        ``activity`` is a module-level function or a method of an activities class
        (``OrderActivities.charge_payment``). Options neither this call nor the activity's
        ``@activity_defn`` set are filled on the worker from settings, and an activity
        registered on another queue is sent there (``ActivityDefaultsInterceptor``, installed
        by ``build_worker``). Other keyword options go to ``workflow.execute_activity`` unchanged.
        """
        declared = declared_options(activity)
        return await workflow.execute_activity(
            activity,
            args=list(args),
            task_queue=task_queue,
            start_to_close_timeout=start_to_close_timeout or declared.start_to_close_timeout,
            schedule_to_close_timeout=schedule_to_close_timeout
            or declared.schedule_to_close_timeout,
            heartbeat_timeout=heartbeat_timeout or declared.heartbeat_timeout,
            retry_policy=retry_policy or declared.retry_policy,
            **options,
        )

    # Client-side helpers ----------------------------------------------------------------------
    @classmethod
    def workflow_name(cls) -> str:
        """The Temporal workflow type name (set by ``@workflow.defn``)."""
        definition = workflow._Definition.from_class(cls)  # pyright: ignore[reportPrivateUsage]
        if definition is None or definition.name is None:
            raise TypeError(f"{cls.__qualname__} is not decorated with @workflow.defn")
        return definition.name

    @classmethod
    def task_queue(cls) -> str:
        """The queue this workflow was registered on with ``@workflow_defn(queue=...)``."""
        return registry.queue_of_workflow(cls)

    @classmethod
    async def start_workflow(
        cls,
        client: Client,
        *,
        input: TInput,
        id: str,
        task_queue: str | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: SearchAttributesInput | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        start_delay: timedelta | None = None,
        **options: Any,
    ) -> WorkflowHandle[Self, TReturn]:
        """Start the workflow and return a typed handle without waiting for it.

        Unset timeouts and retry policy fall back to the settings of a client made by
        ``TemporalClientService`` (its ``StartDefaultsInterceptor``), else to the server's.
        ``search_attributes`` takes the SDK's ``TypedSearchAttributes`` or the plain dict form
        (``{"CustomKeywordField": ["a@b.c"]}``). Raises ``WorkflowAlreadyStartedError`` when a
        workflow with ``id`` is running and the conflict policy does not say otherwise.
        """
        client = pydantic_client(client)
        typed_attributes: TypedSearchAttributes | None = (
            to_typed_search_attributes(search_attributes) if search_attributes else None
        )
        handle = await client.start_workflow(
            cls.workflow_name(),
            input,
            id=id,
            task_queue=task_queue or cls.task_queue(),
            result_type=cls.return_type,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            retry_policy=retry_policy,
            memo=memo,
            search_attributes=typed_attributes,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            start_delay=start_delay,
            **options,
        )
        return cast("WorkflowHandle[Self, TReturn]", handle)

    @classmethod
    async def execute_workflow(
        cls, client: Client, *, input: TInput, id: str, **options: Any
    ) -> TReturn:
        """Start the workflow and wait for its result (accepts every ``start_workflow`` option)."""
        handle = await cls.start_workflow(client, input=input, id=id, **options)
        return await handle.result()

    @classmethod
    async def schedule_workflow(
        cls,
        client: Client,
        *,
        input: TInput,
        id: str,
        start_delay: timedelta,
        **options: Any,
    ) -> WorkflowHandle[Self, TReturn]:
        """Create the workflow now but let its first task run only after ``start_delay``."""
        if start_delay <= timedelta(0):
            raise ValueError(f"start_delay must be positive, got {start_delay}")
        return await cls.start_workflow(
            client, input=input, id=id, start_delay=start_delay, **options
        )

    @classmethod
    async def create_schedule(
        cls,
        client: Client,
        *,
        input: TInput,
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
        """Create a Temporal Schedule that starts this workflow with ``input`` again and again.

        Unlike ``schedule_workflow`` (one run, delayed) the server starts a run at every cron
        time or interval, named ``<workflow_id_prefix>-<time>`` (the prefix defaults to
        ``schedule_id``). Other keywords (``execution_timeout``, ``retry_policy``, ``memo``,
        ``search_attributes``, ``trigger_immediately``, ``rpc_timeout``...) are those of
        ``temporal_core.client.schedules.create_workflow_schedule``. Raises
        ``ScheduleAlreadyRunningError`` when a schedule with ``schedule_id`` exists.
        """
        return await create_workflow_schedule(
            client,
            workflow=cls.workflow_name(),
            input=input,
            task_queue=task_queue or cls.task_queue(),
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

    @classmethod
    def get_handle(
        cls, client: Client, workflow_id: str, *, run_id: str | None = None
    ) -> WorkflowHandle[Self, TReturn]:
        """A typed handle to an existing workflow of this type, for query/signal/result."""
        handle = pydantic_client(client).get_workflow_handle(
            workflow_id, run_id=run_id, result_type=cls.return_type
        )
        return cast("WorkflowHandle[Self, TReturn]", handle)

    # Updates ----------------------------------------------------------------------------------
    # The SDK's update methods have a multi-parameter overload whose ``args`` pyright cannot
    # type, so it calls each method "partially unknown"; the single-argument overload used here
    # is fully typed and gives the handler's result type.
    @classmethod
    async def execute_update(
        cls,
        client: Client,
        workflow_id: str,
        update: workflow.UpdateMethodMultiParam[[Self, UpdateArg], UpdateResult],
        arg: UpdateArg,
        *,
        run_id: str | None = None,
        update_id: str | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> UpdateResult:
        """Run ``update`` (a ``@workflow.update`` method of this class) and return its result.

        The result has the handler's declared type. A validator's rejection, or a handler that
        raises, surfaces as ``WorkflowUpdateFailedError``; a rejected update leaves no event in
        the workflow's history. ``rpc_timeout`` bounds the whole wait for the answer
        (``WorkflowUpdateRPCTimeoutOrCancelledError`` when it runs out).
        """
        handle = cls.get_handle(client, workflow_id, run_id=run_id)
        return await handle.execute_update(  # pyright: ignore[reportUnknownMemberType]
            update, arg, id=update_id, rpc_timeout=rpc_timeout
        )

    @classmethod
    async def start_update(
        cls,
        client: Client,
        workflow_id: str,
        update: workflow.UpdateMethodMultiParam[[Self, UpdateArg], UpdateResult],
        arg: UpdateArg,
        *,
        wait_for_stage: WorkflowUpdateStage = WorkflowUpdateStage.ACCEPTED,
        run_id: str | None = None,
        update_id: str | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[UpdateResult]:
        """Send ``update`` and return once it reached ``wait_for_stage`` (accepted by default).

        Await the returned handle's ``result()`` for the handler's answer later; for an update
        the validator rejected, that raises ``WorkflowUpdateFailedError`` at once.
        """
        handle = cls.get_handle(client, workflow_id, run_id=run_id)
        return await handle.start_update(  # pyright: ignore[reportUnknownMemberType]
            update, arg, wait_for_stage=wait_for_stage, id=update_id, rpc_timeout=rpc_timeout
        )

    @classmethod
    async def update_with_start(
        cls,
        client: Client,
        *,
        input: TInput,
        id: str,
        update: workflow.UpdateMethodMultiParam[[Self, UpdateArg], UpdateResult],
        arg: UpdateArg,
        update_id: str | None = None,
        rpc_timeout: timedelta | None = None,
        **start_options: Any,
    ) -> UpdateResult:
        """Start the workflow unless it runs already, then run ``update`` on it; one atomic call.

        The server either starts the workflow with the update in its first task or, when one
        with ``id`` is running, updates that one (``id_conflict_policy`` defaults to
        ``USE_EXISTING``; it must not be ``UNSPECIFIED``). ``start_options`` are those of
        ``start_workflow`` (``task_queue``, timeouts, ``retry_policy``, ``memo``,
        ``search_attributes``, ``id_reuse_policy``...). Returns the update's typed result.
        """
        operation = cls._with_start_operation(input=input, id=id, **start_options)
        return await pydantic_client(client).execute_update_with_start_workflow(  # pyright: ignore[reportUnknownMemberType]
            update,
            arg,
            start_workflow_operation=operation,
            id=update_id,
            rpc_timeout=rpc_timeout,
        )

    @classmethod
    async def start_update_with_start(
        cls,
        client: Client,
        *,
        input: TInput,
        id: str,
        update: workflow.UpdateMethodMultiParam[[Self, UpdateArg], UpdateResult],
        arg: UpdateArg,
        wait_for_stage: WorkflowUpdateStage = WorkflowUpdateStage.ACCEPTED,
        update_id: str | None = None,
        rpc_timeout: timedelta | None = None,
        **start_options: Any,
    ) -> WorkflowUpdateHandle[UpdateResult]:
        """Like ``update_with_start``, but return once the update reached ``wait_for_stage``.

        ``get_handle(client, id)`` reaches the workflow afterwards; await the returned update
        handle's ``result()`` for the handler's answer.
        """
        operation = cls._with_start_operation(input=input, id=id, **start_options)
        return await pydantic_client(client).start_update_with_start_workflow(  # pyright: ignore[reportUnknownMemberType]
            update,
            arg,
            start_workflow_operation=operation,
            wait_for_stage=wait_for_stage,
            id=update_id,
            rpc_timeout=rpc_timeout,
        )

    @classmethod
    def _with_start_operation(
        cls,
        *,
        input: TInput,
        id: str,
        task_queue: str | None = None,
        search_attributes: SearchAttributesInput | None = None,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.USE_EXISTING,
        **options: Any,
    ) -> WithStartWorkflowOperation[Any, Any]:
        if id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED:
            # The server refuses an update-with-start without a policy; say why here instead.
            raise ValueError("update_with_start needs an id_conflict_policy, e.g. USE_EXISTING")
        return WithStartWorkflowOperation(
            cls.workflow_name(),
            input,
            id=id,
            task_queue=task_queue or cls.task_queue(),
            id_conflict_policy=id_conflict_policy,
            result_type=cls.return_type,
            search_attributes=to_typed_search_attributes(search_attributes)
            if search_attributes
            else None,
            **options,
        )


def was_started(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the start call that returned ``handle`` started a new run.

    False when ``WorkflowIDConflictPolicy.USE_EXISTING`` found the workflow already running; the
    server says so atomically, so callers need no read-then-write check.

    The SDK keeps the server's answer (``StartWorkflowExecutionResponse.started``) on the handle
    without a public accessor, so this reads that private attribute. It fails loudly rather than
    guess: ``ValueError`` for a handle that no start call returned, ``RuntimeError`` when an SDK
    upgrade removed the attribute (``tests/core/test_base_workflow.py`` pins both).
    """
    if not hasattr(handle, _START_RESPONSE):
        raise RuntimeError(
            f"this temporalio version keeps no {_START_RESPONSE} on workflow handles; "
            "was_started() needs another way to learn whether a start created a run"
        )
    response = getattr(handle, _START_RESPONSE)
    if response is None:
        raise ValueError("was_started() needs the handle a start call returned, not get_handle()")
    if not hasattr(response, "started"):
        raise RuntimeError(f"{type(response).__name__} has no 'started' field in this SDK version")
    return bool(response.started)


_START_RESPONSE = "_start_workflow_response"
