"""Shared fixtures: real Temporal servers from the bundled binaries (see temporal_core.testing)."""

pytest_plugins = ["temporal_core.testing.pytest_plugin"]
