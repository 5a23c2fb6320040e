"""temporal_core: typed Temporal workflows behind a registry of task queues.

The names most code needs are importable from here; see each module for the details.
"""

from temporal_core.authoring.base_workflow import (
    BaseWorkflow,
    CancelRequest,
    WorkflowState,
    was_started,
)
from temporal_core.authoring.registry import RegistryError, activity_defn, registry, workflow_defn
from temporal_core.client.service import (
    TemporalClientService,
    TemporalDisabledError,
    TemporalUnavailableError,
)
from temporal_core.client.settings import SettingsError, TemporalSettings
from temporal_core.client.workflow_contract import (
    QueryContract,
    SignalContract,
    UpdateContract,
    WorkflowContract,
)
from temporal_core.worker.build import build_worker

__all__ = [
    "BaseWorkflow",
    "CancelRequest",
    "QueryContract",
    "RegistryError",
    "SettingsError",
    "SignalContract",
    "TemporalClientService",
    "TemporalDisabledError",
    "TemporalSettings",
    "TemporalUnavailableError",
    "UpdateContract",
    "WorkflowContract",
    "WorkflowState",
    "activity_defn",
    "build_worker",
    "registry",
    "was_started",
    "workflow_defn",
]
