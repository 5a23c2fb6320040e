"""worker_reports."""
