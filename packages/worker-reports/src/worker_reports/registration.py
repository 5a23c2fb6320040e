"""Importing this module registers the ``reports`` queue (named by the package's entry point)."""

from worker_reports import activities, workflows

__all__ = ["activities", "workflows"]
