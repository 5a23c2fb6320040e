"""``python -m worker_reports``: the same as ``uv run --package worker-reports serve``."""

import sys

from temporal_core.worker.serve import main

if __name__ == "__main__":
    main(sys.argv[1:], package="worker-reports")
