"""Importing this module registers the ``orders`` queue (named by the package's entry point).

The workflow and the activity methods register themselves when their modules are imported; the
activities factory tells every ``orders`` worker to run those methods on what
:func:`worker_orders.wiring.build_activities` builds.
"""

from temporal_core.authoring.registry import registry

from worker_orders import activities, wiring, workflows

registry.add_activities_factory(wiring.build_activities, activities.QUEUE)

__all__ = ["activities", "wiring", "workflows"]
