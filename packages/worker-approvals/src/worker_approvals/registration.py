"""Importing this module registers the ``approvals`` queue (named by the package's entry point)."""

from worker_approvals import activities, workflows

__all__ = ["activities", "workflows"]
