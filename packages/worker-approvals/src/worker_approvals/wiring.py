"""The one place that chooses the mail service the ``approvals`` activities send through.

``build_activities`` is what every ``approvals`` worker runs on (registered as the queue's
activities factory in :mod:`worker_approvals.registration`). By default it wires
``LocalEmailSender``, which records each message in the side-effect log at ``SIDE_EFFECTS_DB``;
a deployment with a real mail service builds its :class:`stand_ins.mail.EmailSender` here.
"""

from __future__ import annotations

from stand_ins.mail import LocalEmailSender
from stand_ins.side_effect_log import SideEffectLog

from worker_approvals.activities import ApprovalActivities

__all__ = ["build_activities"]


def build_activities() -> ApprovalActivities:
    """The ``approvals`` activities with this deployment's mail service (reads the env now)."""
    return ApprovalActivities(LocalEmailSender(SideEffectLog.from_environment()))
