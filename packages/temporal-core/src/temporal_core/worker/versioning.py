"""Worker versioning: which Temporal Worker Deployment version a worker registers as.

Off until ``TEMPORAL_WORKER_BUILD_ID`` is set, so a developer's worker polls unversioned as
before. With a build id, :func:`deployment_config` makes the worker a version of a Worker
Deployment: ``TEMPORAL_WORKER_DEPLOYMENT_NAME`` if set, else the name of the installed worker
package that owns the queue (``worker-orders`` for ``orders``), so each service is one deployment
and each of its images one version. Temporal then routes a new workflow to the deployment's
*current* version, keeps a ``PINNED`` one on the version it started on, and moves an
``AUTO_UPGRADE`` one to the current version at its next task (docs/deploying.md).

Workflows declare their behaviour on ``@workflow.defn(versioning_behavior=...)``, and the SDK
sends it with every workflow task it completes, versioned worker or not. Temporal's server refuses
that from an unversioned worker ("versioning behavior cannot be specified without deployment
options being set with versioned mode"), so the workflow would never make progress: an unversioned
worker runs its workflows through :class:`UnversionedWorkflowRunner`, which leaves the behaviour
out. One declaration thus serves both kinds of worker.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import (
    WorkerDeploymentConfig,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from temporalio.workflow import Info

from temporal_core.authoring.registry import registry
from temporal_core.client.settings import TemporalSettings

__all__ = [
    "UnversionedWorkflowRunner",
    "VersioningError",
    "code_build_id",
    "deployment_config",
    "deployment_name_for",
]

logger = logging.getLogger(__name__)

_BEHAVIORS = {
    None: VersioningBehavior.UNSPECIFIED,
    "pinned": VersioningBehavior.PINNED,
    "auto_upgrade": VersioningBehavior.AUTO_UPGRADE,
}


class VersioningError(ValueError):
    """Versioning is on, but the worker's deployment name cannot be worked out."""


def deployment_name_for(queue: str, settings: TemporalSettings) -> str:
    """``TEMPORAL_WORKER_DEPLOYMENT_NAME``, else the installed worker package serving ``queue``."""
    if settings.worker_deployment_name:
        return settings.worker_deployment_name
    owners = [package for package in registry.discover() if queue in package.queues]
    if len(owners) != 1:
        raise VersioningError(
            f"TEMPORAL_WORKER_BUILD_ID is set, but queue {queue!r} is served by no installed "
            "worker package to name its Worker Deployment after; set "
            "TEMPORAL_WORKER_DEPLOYMENT_NAME"
        )
    return owners[0].distribution


def deployment_config(settings: TemporalSettings, queue: str) -> WorkerDeploymentConfig | None:
    """The worker's Worker Deployment version, or None while no build id is set (unversioned).

    Without ``TEMPORAL_WORKER_DEFAULT_VERSIONING_BEHAVIOR`` every workflow must declare its
    ``versioning_behavior``: the SDK refuses to start a worker with one that does not, which is
    what we want, since a forgotten declaration would otherwise decide how running executions
    meet new code.
    """
    if settings.worker_build_id is None:
        return None
    version = WorkerDeploymentVersion(
        deployment_name=deployment_name_for(queue, settings), build_id=settings.worker_build_id
    )
    logger.info(
        "queue %s: Worker Deployment %s, build %s",
        queue,
        version.deployment_name,
        version.build_id,
    )
    return WorkerDeploymentConfig(
        version=version,
        use_worker_versioning=True,
        default_versioning_behavior=_BEHAVIORS[settings.worker_default_versioning_behavior],
    )


@functools.cache
def code_build_id() -> str:
    """The build id an unversioned worker reports: a digest of the source of the code it runs.

    Temporal records it with every workflow task the worker completes, so one can tell which
    code ran a task. The SDK's default is a digest of the bytecode of every imported module,
    which compiles each module without cached bytecode at worker start-up (a second of CPU
    under ``PYTHONDONTWRITEBYTECODE``); reading the same modules' source says as much for a
    fraction of that. Memoized, like the SDK's: a process keeps the id of the code it started
    with.
    """
    digest = hashlib.blake2b(digest_size=16)
    for name in sorted(sys.modules):
        # .get: another thread may drop a module between the sort and here.
        path = getattr(sys.modules.get(name), "__file__", None)
        if not path or not path.endswith(".py"):
            continue
        with contextlib.suppress(OSError):
            digest.update(name.encode())
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()


class UnversionedWorkflowRunner(WorkflowRunner):
    """Runs workflows through ``inner``, leaving their versioning behaviour out of completions.

    For unversioned workers only (see the module docstring); the behaviour matters to nobody
    there, since Temporal routes an unversioned worker's tasks without it.
    """

    def __init__(self, inner: WorkflowRunner) -> None:
        """Wrap ``inner`` (the sandboxed runner)."""
        self._inner = inner

    def prepare_workflow(self, defn: Any) -> None:
        """As ``inner`` does."""
        self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """``inner``'s instance, with the behaviour cleared from each completion."""
        return _UnversionedInstance(self._inner.create_instance(det))

    def set_worker_level_failure_exception_types(
        self, types: Sequence[type[BaseException]]
    ) -> None:
        """As ``inner`` does."""
        self._inner.set_worker_level_failure_exception_types(types)


class _UnversionedInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance) -> None:
        self._inner = inner

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = self._inner.activate(act)
        if completion.HasField("successful"):
            completion.successful.versioning_behavior = VersioningBehavior.UNSPECIFIED.value
        return completion

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        return self._inner.get_serialization_context(command_info)

    def get_external_store_context(self, command_info: Any) -> StorageDriverStoreContext:
        return self._inner.get_external_store_context(command_info)

    def get_info(self) -> Info:
        return self._inner.get_info()

    def get_thread_id(self) -> int | None:
        return self._inner.get_thread_id()
