"""Worker versioning: which Temporal Worker Deployment version a worker registers as.

Off until ``TEMPORAL_WORKER_BUILD_ID`` is set, so a developer's worker polls unversioned as
before. With a build id, :func:`deployment_config` makes the worker a version of a Worker
Deployment: ``TEMPORAL_WORKER_DEPLOYMENT_NAME`` if set, else the name of the installed worker
package that owns the queue (``worker-orders`` for ``orders``), so each service is one deployment
and each of its images one version. Temporal then routes a new workflow to the deployment's
*current* version, keeps a ``PINNED`` one on the version it started on, and moves an
``AUTO_UPGRADE`` one to the current version at its next task (docs/deploying.md).
"""

from __future__ import annotations

import logging

from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.worker import WorkerDeploymentConfig

from temporal_core.authoring.registry import registry
from temporal_core.client.settings import TemporalSettings

__all__ = ["VersioningError", "deployment_config", "deployment_name_for"]

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
