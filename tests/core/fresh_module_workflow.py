"""A workflow that counts its runs in a module global, on the ``fresh-module`` queue.

Every run sees a fresh copy of this module in the sandbox, so every run counts to one; the
compiled-once tests check that keeping the module's code does not share the module itself.
"""

from __future__ import annotations

from temporal_core import workflow_defn
from temporalio import workflow

QUEUE = "fresh-module"

runs_seen_by_this_module = 0


@workflow_defn(queue=QUEUE)
@workflow.defn(name="FreshModuleCount")
class FreshModuleCount:
    @workflow.run
    async def run(self) -> int:
        global runs_seen_by_this_module
        runs_seen_by_this_module += 1
        return runs_seen_by_this_module
