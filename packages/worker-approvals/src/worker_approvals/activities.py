"""Activities of the ``approvals`` queue: asking a person for a decision by e-mail.

:class:`ApprovalActivities` is built with the e-mail sender it uses; :mod:`worker_approvals.wiring`
chooses which one.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from stand_ins.mail import EmailSender, OutgoingEmail
from temporal_core.authoring.registry import activity_defn
from temporalio import activity

from worker_approvals.models import ApprovalRequestEmail

__all__ = ["SEND_TIMEOUT", "ApprovalActivities"]

QUEUE = "approvals"
SEND_TIMEOUT = timedelta(seconds=15)
"""Start-to-close of handing one message to the mail service; a send held by a crashed worker is
retried this soon."""


class ApprovalActivities:
    """The ``approvals`` activities, bound to the mail service they send through."""

    def __init__(self, mail: EmailSender) -> None:
        """Send approval requests through ``mail``."""
        self.mail = mail

    @activity_defn(queue=QUEUE, start_to_close_timeout=SEND_TIMEOUT)
    @activity.defn
    async def send_approval_request(self, request: ApprovalRequestEmail) -> bool:
        """E-mail the approver once per request; False when it had been sent already."""
        # The approver is named by the request id, not the address: logs hold no e-mails.
        activity.logger.info("asking the approver to decide on request %s", request.request_id)
        hours = request.timeout_seconds / 3600
        message = OutgoingEmail(
            idempotency_key=f"approval/{request.workflow_id}/request",
            to=request.approver_email,
            subject=f"Approval needed: {request.subject or request.request_id}",
            body=(
                f"{request.details}\n\nApprove or reject request {request.request_id} "
                f"(workflow {request.workflow_id}) within {hours:g} hours; after that it expires."
            ),
        )
        return await asyncio.to_thread(self.mail.send, message)
