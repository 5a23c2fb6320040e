"""worker_orders."""
