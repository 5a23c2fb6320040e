"""worker_approvals."""
