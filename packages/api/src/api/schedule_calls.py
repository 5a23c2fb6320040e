"""The Temporal Schedule calls of the API, with their HTTP meaning decided in one place.

* ``create`` turns a taken schedule id into a 409 and a spec the server refuses (a cron
  expression it cannot read, a time zone it does not know) into a 422 naming the field.
* ``describe`` turns an unknown id, or the id of a schedule that starts another workflow type,
  into a 404; every call on one schedule goes through it first.
* Each call to Temporal is timed as ``schedule_<call>`` (``api.metrics.temporal_call``).
* Every call carries the API's deadline, so a Temporal outage becomes a 503.

Ownership: acting ``on_behalf_of`` a caller, ``create`` records the caller's subject in the
schedule memo (``owner``, beside ``cron_expression``) and as the ``Owner`` search attribute of
every run it starts (so ``/reports/{id}`` serves the runs to their owner); ``describe`` is the one
gate where a schedule of another caller becomes the same 404 as an unknown id, and ``list_all``
lists only the caller's (an admin sees all). Schedule ids are one namespace for every caller, so
creating an id another caller holds answers 409 without saying anything else about it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import timedelta
from typing import Any, TypeVar, cast

from contracts.search_attributes import OWNER
from pydantic import BaseModel
from temporal_core import WorkflowContract
from temporal_core.client.converter import pydantic_client
from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleDescription,
    ScheduleListActionStartWorkflow,
    ScheduleListDescription,
    ScheduleOverlapPolicy,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from api.auth.principal import Principal
from api.errors.schedules import ScheduleAlreadyExists, ScheduleNotFound
from api.metrics import temporal_call
from api.responses import invalid
from api.settings import ApiSettings

__all__ = ["ScheduleCalls"]

InputT = TypeVar("InputT", bound=BaseModel)

CRON_MEMO_KEY = "cron_expression"
OWNER_MEMO_KEY = "owner"


class ScheduleCalls:
    """Schedule calls on one client, routed to the configured task queues."""

    def __init__(
        self,
        client: Client,
        settings: ApiSettings,
        *,
        task_queues: Mapping[str, str] | None = None,
        caller: Principal | None = None,
    ) -> None:
        """Call Temporal through ``client`` with the deadline from ``settings``.

        ``task_queues`` maps a contract's queue to the task queue the scheduled runs start on
        (tests route to per-test queues, as with ``WorkflowCalls``). ``caller``: see
        :meth:`on_behalf_of`.
        """
        self.client = client
        self.settings = settings
        self.caller = caller
        self._deadline = timedelta(seconds=settings.temporal_call_timeout_seconds)
        self._task_queues = dict(task_queues or {})

    def on_behalf_of(self, caller: Principal) -> ScheduleCalls:
        """The same calls for ``caller``: it owns what it creates and sees only what it owns."""
        return ScheduleCalls(
            self.client, self.settings, task_queues=self._task_queues, caller=caller
        )

    def _may_see(self, owner: str | None) -> bool:
        return self.caller is None or self.caller.is_admin or owner == self.caller.subject

    async def create(
        self,
        contract: WorkflowContract[InputT, Any, Any],
        input: InputT,
        *,
        schedule_id: str,
        workflow_id_prefix: str,
        cron_expression: str | None,
        interval: timedelta | None,
        time_zone: str,
        overlap: ScheduleOverlapPolicy,
        paused: bool,
        note: str | None,
        **start_options: Any,
    ) -> None:
        """Create schedule ``schedule_id`` whose runs' workflow ids start with the prefix."""
        memo: dict[str, Any] = {}
        if cron_expression:
            memo[CRON_MEMO_KEY] = cron_expression
        if self.caller is not None:
            memo[OWNER_MEMO_KEY] = self.caller.subject
            start_options["search_attributes"] = TypedSearchAttributes(
                [SearchAttributePair(OWNER, self.caller.subject)]
            )
        try:
            with temporal_call("schedule_create"):
                await contract.create_schedule(
                    self.client,
                    input,
                    schedule_id=schedule_id,
                    workflow_id_prefix=workflow_id_prefix,
                    cron_expressions=[cron_expression] if cron_expression else [],
                    intervals=[interval] if interval else [],
                    time_zone=time_zone,
                    overlap=overlap,
                    paused=paused,
                    note=note,
                    task_queue=self._task_queues.get(contract.queue, contract.queue),
                    schedule_memo=memo or None,
                    rpc_timeout=self._deadline,
                    **start_options,
                )
        except ScheduleAlreadyRunningError:
            raise ScheduleAlreadyExists(
                f"schedule {schedule_id} already exists; delete it first or use another id",
                schedule_id=schedule_id,
            ) from None
        except RPCError as error:
            if error.status != RPCStatusCode.INVALID_ARGUMENT:
                raise
            # The server is the authority on cron syntax; say which field it did not accept.
            if "time zone" in error.message:
                raise invalid(
                    ("body", "time_zone"), error.message, time_zone, "time_zone"
                ) from None
            raise invalid(
                ("body", "cron_expression"), error.message, cron_expression, "cron_expression"
            ) from None

    async def describe(
        self, contract: WorkflowContract[Any, Any, Any], schedule_id: str
    ) -> ScheduleDescription:
        """Describe ``schedule_id``; 404 unless it exists and starts ``contract``'s workflow."""
        try:
            with temporal_call("schedule_describe"):
                description = await self.client.get_schedule_handle(schedule_id).describe(
                    rpc_timeout=self._deadline
                )
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise self._not_found(contract, schedule_id) from None
            raise
        action = description.schedule.action
        if not isinstance(action, ScheduleActionStartWorkflow) or action.workflow != contract.name:
            raise self._not_found(contract, schedule_id)
        if not self._may_see(await description.memo_value(OWNER_MEMO_KEY, None)):
            raise self._not_found(contract, schedule_id)
        return description

    async def start_input(
        self, contract: WorkflowContract[InputT, Any, Any], description: ScheduleDescription
    ) -> InputT:
        """The input model every run of a described schedule starts with."""
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)  # describe() made sure of it
        payloads: list[Payload] = list(action.args)
        converter = pydantic_client(self.client).data_converter
        (value,) = await converter.decode(payloads, [contract.input_type])
        return cast(InputT, value)

    async def list_all(
        self, contract: WorkflowContract[Any, Any, Any]
    ) -> list[ScheduleListDescription]:
        """Every schedule that starts ``contract``'s workflow type and the caller may see."""
        found: list[ScheduleListDescription] = []
        with temporal_call("schedule_list"):
            async for listed in await self.client.list_schedules(rpc_timeout=self._deadline):
                action = listed.schedule.action if listed.schedule else None
                if (
                    isinstance(action, ScheduleListActionStartWorkflow)
                    and action.workflow == contract.name
                    and self._may_see(await listed.memo_value(OWNER_MEMO_KEY, None))
                ):
                    found.append(listed)
        return found

    async def pause(
        self, contract: WorkflowContract[Any, Any, Any], schedule_id: str, note: str | None
    ) -> None:
        """Stop starting runs until unpaused; a trigger still starts one."""
        await self.describe(contract, schedule_id)
        handle = self.client.get_schedule_handle(schedule_id)
        await self._on_missing(
            contract, schedule_id, "pause", handle.pause(note=note, rpc_timeout=self._deadline)
        )

    async def unpause(
        self, contract: WorkflowContract[Any, Any, Any], schedule_id: str, note: str | None
    ) -> None:
        """Start runs at the schedule's times again."""
        await self.describe(contract, schedule_id)
        handle = self.client.get_schedule_handle(schedule_id)
        await self._on_missing(
            contract, schedule_id, "unpause", handle.unpause(note=note, rpc_timeout=self._deadline)
        )

    async def trigger(self, contract: WorkflowContract[Any, Any, Any], schedule_id: str) -> None:
        """Start one run now, under the schedule's overlap policy."""
        await self.describe(contract, schedule_id)
        handle = self.client.get_schedule_handle(schedule_id)
        await self._on_missing(
            contract, schedule_id, "trigger", handle.trigger(rpc_timeout=self._deadline)
        )

    async def delete(self, contract: WorkflowContract[Any, Any, Any], schedule_id: str) -> None:
        """Delete the schedule; runs it already started go on."""
        await self.describe(contract, schedule_id)
        handle = self.client.get_schedule_handle(schedule_id)
        await self._on_missing(
            contract, schedule_id, "delete", handle.delete(rpc_timeout=self._deadline)
        )

    async def _on_missing(
        self,
        contract: WorkflowContract[Any, Any, Any],
        schedule_id: str,
        operation: str,
        call: Awaitable[None],
    ) -> None:
        # Deleted between the describe and this call: the same 404 as if it never existed.
        try:
            with temporal_call(f"schedule_{operation}"):
                await call
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                raise self._not_found(contract, schedule_id) from None
            raise

    @staticmethod
    def _not_found(contract: WorkflowContract[Any, Any, Any], schedule_id: str) -> ScheduleNotFound:
        return ScheduleNotFound(
            f"no schedule of {contract.name} has the id {schedule_id}", schedule_id=schedule_id
        )
