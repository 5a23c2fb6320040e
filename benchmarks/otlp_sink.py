"""``python -m benchmarks.otlp_sink``: a local OTLP/HTTP trace receiver in its own process.

It decodes every export like a collector would (the receiver of the end-to-end tests), in a
process of its own so that its work is not charged to the load generator. Prints
``endpoint=<url>`` once listening, then serves until SIGTERM and prints how many spans came in.
"""

from __future__ import annotations

import signal
import sys
import threading

from tests.e2e.otlp_receiver import OtlpReceiver


def main() -> None:
    """Serve until SIGTERM/SIGINT."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    with OtlpReceiver() as receiver:
        print(f"endpoint={receiver.endpoint}", flush=True)
        stop.wait()
        print(f"spans={len(receiver.spans)}", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
