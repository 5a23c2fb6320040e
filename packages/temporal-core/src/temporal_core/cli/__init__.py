"""Command-line entry points: the shared ``serve`` dispatcher and the worker runner."""
