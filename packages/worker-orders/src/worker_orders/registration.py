"""Importing this module registers the ``orders`` queue (named by the package's entry point)."""

from worker_orders import activities, workflows

__all__ = ["activities", "workflows"]
