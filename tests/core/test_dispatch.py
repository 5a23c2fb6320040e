"""How the shared ``serve`` script learns which package ``uv run --package X`` asked for."""

from __future__ import annotations

import pytest
from temporal_core.cli.dispatch import package_from_uv_argv


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/usr/bin/uv", "run", "--package", "worker-orders", "serve"], "worker-orders"),
        (["uv", "run", "--package=worker-reports", "serve", "--queue", "x"], "worker-reports"),
        (["uv", "--quiet", "run", "--frozen", "--package", "api", "serve"], "api"),
        (["uv", "run", "serve"], None),
        (["uv", "sync", "--package", "api"], None),
        (["bash", "-c", "serve --package api"], None),
        (["uv", "run", "--", "serve", "--package", "api"], None),
        ([], None),
    ],
)
def test_package_from_uv_argv(argv: list[str], expected: str | None) -> None:
    assert package_from_uv_argv(argv) == expected
