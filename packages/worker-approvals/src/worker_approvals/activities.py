"""Activities of the ``approvals`` queue: asking a person for a decision by e-mail."""

from __future__ import annotations

import asyncio

from stand_ins.mail import OutgoingEmail, email_sender
from temporal_core.authoring.registry import activity_defn
from temporalio import activity

from worker_approvals.models import ApprovalRequestEmail

__all__ = ["send_approval_request"]


@activity_defn(queue="approvals")
@activity.defn
async def send_approval_request(request: ApprovalRequestEmail) -> bool:
    """E-mail the approver once per request; False when it had been sent already."""
    activity.logger.info(
        "asking %s to decide on request %s", request.approver_email, request.request_id
    )
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
    return await asyncio.to_thread(email_sender().send, message)
