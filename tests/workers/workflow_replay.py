"""Replay a finished workflow's history against the current code (catches non-determinism)."""

from __future__ import annotations

from typing import Any

from temporal_core.worker.build import sandboxed_runner
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer


async def assert_replays(handle: WorkflowHandle[Any, Any], workflow_cls: type) -> None:
    history = await handle.fetch_history()
    replayer = Replayer(
        workflows=[workflow_cls],
        data_converter=pydantic_data_converter,
        workflow_runner=sandboxed_runner(),
    )
    await replayer.replay_workflow(history)
