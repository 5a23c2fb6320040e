"""Workflow start defaults from settings, applied by the client that starts the workflow.

``TemporalClientService`` builds its client with :class:`StartDefaultsInterceptor`, so every start
made through that client (``BaseWorkflow.start_workflow``, a contract's ``start``, a raw
``client.start_workflow``, and the start half of an update-with-start) gets the configured
execution, run and task timeouts and retry policy unless the call sets its own. The defaults
travel with the client itself, which is why no table of "which settings belong to which client"
is needed.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from temporalio.client import (
    Interceptor,
    OutboundInterceptor,
    StartWorkflowInput,
    StartWorkflowUpdateWithStartInput,
    UpdateWithStartStartWorkflowInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)

from temporal_core.client.settings import TemporalSettings

__all__ = ["StartDefaultsInterceptor"]

_StartInput = TypeVar("_StartInput", StartWorkflowInput, UpdateWithStartStartWorkflowInput)


class StartDefaultsInterceptor(Interceptor):
    """Fills a start's unset timeouts and retry policy from ``settings``."""

    def __init__(self, settings: TemporalSettings) -> None:
        """Apply ``settings``' ``TEMPORAL_WORKFLOW_*`` values to starts that leave them unset."""
        self.settings = settings

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _StartDefaults(next, self.settings)


class _StartDefaults(OutboundInterceptor):
    def __init__(self, next: OutboundInterceptor, settings: TemporalSettings) -> None:
        super().__init__(next)
        self._settings = settings

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        return await super().start_workflow(self._with_defaults(input))

    async def start_update_with_start_workflow(
        self, input: StartWorkflowUpdateWithStartInput
    ) -> WorkflowUpdateHandle[Any]:
        start = self._with_defaults(input.start_workflow_input)
        return await super().start_update_with_start_workflow(
            dataclasses.replace(input, start_workflow_input=start)
        )

    def _with_defaults(self, start: _StartInput) -> _StartInput:
        settings = self._settings
        retry = settings.workflow_retry.to_policy() if settings.workflow_retry else None
        return dataclasses.replace(
            start,
            execution_timeout=start.execution_timeout or settings.workflow_execution_timeout,
            run_timeout=start.run_timeout or settings.workflow_run_timeout,
            task_timeout=start.task_timeout or settings.workflow_task_timeout,
            retry_policy=start.retry_policy or retry,
        )
