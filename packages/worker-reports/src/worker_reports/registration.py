"""Importing this module registers the ``reports`` queue (named by the package's entry point).

The activities factory tells every ``reports`` worker to run the activity methods on what
:func:`worker_reports.wiring.build_activities` builds.
"""

from temporal_core.authoring.registry import registry

from worker_reports import activities, wiring, workflows

registry.add_activities_factory(wiring.build_activities, activities.QUEUE)

__all__ = ["activities", "wiring", "workflows"]
