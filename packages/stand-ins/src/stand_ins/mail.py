"""Sending e-mail from activities, behind a small interface with a local, recording implementation.

Activities are given an :class:`EmailSender` when their class is built and call ``send``. The
local :class:`LocalEmailSender` delivers nothing: it records each message in the side-effect log
it was given, keyed so that a retried activity never "sends" twice. A deployment with a real mail
service passes its own sender where the worker package wires its activities (``wiring.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from stand_ins.side_effect_log import SideEffectLog

__all__ = [
    "EMAIL_KIND",
    "EmailSender",
    "LocalEmailSender",
    "OutgoingEmail",
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

    def __init__(self, log: SideEffectLog) -> None:
        """Record messages in ``log``."""
        self._log = log

    def send(self, message: OutgoingEmail) -> bool:
        """Record ``message`` once; a repeat with the same key records nothing."""
        _, created = self._log.record_once(EMAIL_KIND, message.idempotency_key, asdict(message))
        return created
