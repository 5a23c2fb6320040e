"""Fixtures of the deploy tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.workspace import NEW_MEMBER, copy_with_new_member


@pytest.fixture(scope="session")
def grown_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A locked copy of the workspace with one more member, :data:`NEW_MEMBER`.

    Only the new member's files, the root pyproject.toml and uv.lock differ from the repository;
    every Dockerfile is as committed, which is what lets tests show that none needs an edit.
    """
    root = copy_with_new_member(
        tmp_path_factory.mktemp("grown-workspace"), NEW_MEMBER, depends_on="temporal-core"
    )
    # The new member brings no third-party dependency, so the lock is updated from what uv
    # already knows, without asking an index.
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run(["uv", "lock", "--offline"], cwd=root, env=env, check=True, capture_output=True)
    return root
