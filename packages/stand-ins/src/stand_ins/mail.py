"""Sending e-mail from activities, behind a small interface with a local, recording implementation.

Activities ask :func:`email_sender` for the sender and call ``send``. The default
:class:`LocalEmailSender` delivers nothing: it records each message in the side-effect log
(``SIDE_EFFECTS_DB``), keyed so that a retried activity never "sends" twice. A deployment with a
real mail service installs its own sender with :func:`use_email_sender` at start-up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from stand_ins.side_effect_log import SideEffectLog, default_side_effect_log

__all__ = [
    "EMAIL_KIND",
    "EmailSender",
    "LocalEmailSender",
    "OutgoingEmail",
    "email_sender",
    "use_email_sender",
]

EMAIL_KIND = "email.sent"


@dataclass(frozen=True)
class OutgoingEmail:
    """One message; ``idempotency_key`` identifies it across retries (e.g. ``order/42/confirm``)."""

    idempotency_key: str
    to: str
    subject: str
    body: str


class EmailSender(Protocol):
    """Delivers an e-mail at most once per ``idempotency_key``."""

    def send(self, message: OutgoingEmail) -> bool:
        """Deliver ``message``; return False when it was already delivered earlier."""
        ...


class LocalEmailSender:
    """Records messages in the side-effect log instead of delivering them."""

    def __init__(self, log: SideEffectLog | None = None) -> None:
        """Write to ``log`` (default: the one at ``SIDE_EFFECTS_DB``, resolved per message)."""
        self._log = log

    def send(self, message: OutgoingEmail) -> bool:
        """Record ``message`` once; a repeat with the same key records nothing."""
        log = self._log or default_side_effect_log()
        _, created = log.record_once(EMAIL_KIND, message.idempotency_key, asdict(message))
        return created


_sender: EmailSender | None = None


def use_email_sender(sender: EmailSender | None) -> None:
    """Make ``sender`` the process's e-mail sender (None restores the local one)."""
    global _sender
    _sender = sender


def email_sender() -> EmailSender:
    """The installed sender, else a :class:`LocalEmailSender`."""
    return _sender or LocalEmailSender()
