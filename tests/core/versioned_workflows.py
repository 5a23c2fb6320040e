"""Two small workflows on the ``versioning-sample`` queue, one per versioning behaviour.

Each runs an activity, waits for ``proceed``, runs it again and returns the build id of the
worker that ran each of its two halves, so a test can see where Temporal sent the run's tasks
across a change of the deployment's current version.
"""

from __future__ import annotations

from datetime import timedelta

from temporal_core import activity_defn, workflow_defn
from temporalio import activity, workflow
from temporalio.common import VersioningBehavior

QUEUE = "versioning-sample"
_STEP_TIMEOUT = timedelta(seconds=10)


@activity_defn(queue=QUEUE)
@activity.defn(name="versioning_sample_step")
async def step(half: str) -> str:
    """Nothing to do: the history records which worker ran it."""
    return half


class _TwoHalves:
    def __init__(self) -> None:
        self.proceed_received = False
        self.builds: list[str] = []

    @workflow.signal
    def proceed(self) -> None:
        """Let the second half run."""
        self.proceed_received = True

    @workflow.query
    def halves_done(self) -> int:
        """How many halves have run."""
        return len(self.builds)

    async def _run_halves(self) -> list[str]:
        for half in ("first", "second"):
            if half == "second":
                await workflow.wait_condition(lambda: self.proceed_received)
            await workflow.execute_activity(step, half, start_to_close_timeout=_STEP_TIMEOUT)
            version = workflow.info().get_current_deployment_version()
            # An unversioned worker reports the SDK's own build id without a deployment name.
            if version is not None and version.deployment_name:
                self.builds.append(version.build_id)
            else:
                self.builds.append("unversioned")
        return self.builds


@workflow_defn(queue=QUEUE)
@workflow.defn(name="VersioningSamplePinned", versioning_behavior=VersioningBehavior.PINNED)
class PinnedTwoHalves(_TwoHalves):
    """Stays on the build it started on."""

    @workflow.run
    async def run(self) -> list[str]:
        """The build ids of the workers that ran the two halves."""
        return await self._run_halves()


@workflow_defn(queue=QUEUE)
@workflow.defn(
    name="VersioningSampleAutoUpgrade", versioning_behavior=VersioningBehavior.AUTO_UPGRADE
)
class AutoUpgradingTwoHalves(_TwoHalves):
    """Moves to the deployment's current build at its next task."""

    @workflow.run
    async def run(self) -> list[str]:
        """The build ids of the workers that ran the two halves."""
        return await self._run_halves()
