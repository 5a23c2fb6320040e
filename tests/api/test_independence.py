"""The API is its own service: it installs and imports no worker and no stand-in.

It calls workflows by name through ``contracts``; a worker package in its dependency closure
would ship activities, payment and mail code into the API's image, and an import of one would
couple the API's release to the workers'.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.auth_tokens import AUTH_ENV

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_DISTRIBUTIONS = re.compile(r"^(worker-.*|stand-ins)$")
FORBIDDEN_MODULES = ("worker_", "stand_ins")


def _distribution_name(requirement: str) -> str:
    if requirement.startswith("-e "):
        # Workspace members are exported as editable paths: ``-e ./packages/<name>``.
        return Path(requirement[3:].strip()).name
    return re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_locked_dependency_closure_of_the_api_holds_no_worker_and_no_stand_in() -> None:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is needed to read the API's dependency closure from uv.lock"
    exported = subprocess.run(
        [uv, "export", "--package", "api", "--frozen", "--no-dev", "--no-hashes"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    requirements = [
        line.strip()
        for line in exported.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    closure = {_distribution_name(line) for line in requirements}

    # The closure really was read: it holds what the API does depend on.
    assert {"api", "temporal-core", "contracts", "fastapi"} <= closure, sorted(closure)
    assert sorted(name for name in closure if FORBIDDEN_DISTRIBUTIONS.match(name)) == []


_IMPORT_AND_BUILD = """
import json, sys
import api.main
app = api.main.create_app()
app.openapi()
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_the_api_and_building_its_app_imports_no_worker_and_no_stand_in() -> None:
    # A fresh interpreter: this test process has imported workers for other tests.
    completed = subprocess.run(
        [sys.executable, "-c", _IMPORT_AND_BUILD],
        cwd=ROOT,
        env={**os.environ, **AUTH_ENV},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    modules: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])

    # The app was really built from its routes and contracts...
    assert {"api.routes.orders", "api.routes.reports", "contracts.orders"} <= set(modules)
    # ...without a worker or a stand-in coming along.
    assert [name for name in modules if name.startswith(FORBIDDEN_MODULES)] == []
