"""What every contract shares: the ``cancel`` signal that ``BaseWorkflow`` gives each workflow."""

from __future__ import annotations

from temporal_core import CancelRequest, SignalContract

__all__ = ["CANCEL", "CancelRequest"]

CANCEL = SignalContract(name="cancel", arg_type=CancelRequest)
"""Ask a workflow to stop; it undoes what it did (see docs/cancellation.md)."""
