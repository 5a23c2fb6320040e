"""One router per resource: orders, approvals, reports and health."""
