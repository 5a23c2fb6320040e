"""``python -m worker_orders``: the same as ``uv run --package worker-orders serve``."""

import sys

from temporal_core.worker.serve import main

if __name__ == "__main__":
    main(sys.argv[1:], package="worker-orders")
