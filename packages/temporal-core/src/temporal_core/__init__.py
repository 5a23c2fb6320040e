"""temporal_core: typed Temporal workflows behind a registry of task queues.

The names most code needs are importable from here; see each module for the details.
"""

from temporal_core.client import (
    TemporalClientService,
    TemporalDisabledError,
    TemporalUnavailableError,
)
from temporal_core.registry import RegistryError, activity_defn, registry, workflow_defn
from temporal_core.settings import SettingsError, TemporalSettings
from temporal_core.worker import build_worker
from temporal_core.workflow import BaseWorkflow, CancelRequest, WorkflowState, was_started

__all__ = [
    "BaseWorkflow",
    "CancelRequest",
    "RegistryError",
    "SettingsError",
    "TemporalClientService",
    "TemporalDisabledError",
    "TemporalSettings",
    "TemporalUnavailableError",
    "WorkflowState",
    "activity_defn",
    "build_worker",
    "registry",
    "was_started",
    "workflow_defn",
]
