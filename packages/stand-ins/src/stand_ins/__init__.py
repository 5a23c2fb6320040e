"""Local stand-ins for the outside services the workers' activities call.

Nothing here talks to a network: each stand-in records what it would have done in one SQLite
file (:class:`SideEffectLog`), at most once per idempotency key, so the whole system runs without
third-party accounts and tests can read every effect back. Only worker packages depend on this;
the API and ``temporal_core`` never do.
"""

from stand_ins.mail import EMAIL_KIND, EmailSender, LocalEmailSender, OutgoingEmail
from stand_ins.side_effect_log import SIDE_EFFECTS_DB_ENV, SideEffect, SideEffectLog

__all__ = [
    "EMAIL_KIND",
    "SIDE_EFFECTS_DB_ENV",
    "EmailSender",
    "LocalEmailSender",
    "OutgoingEmail",
    "SideEffect",
    "SideEffectLog",
]
