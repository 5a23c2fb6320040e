"""Workers compile a workflow's package once, and report a build id from its source.

The sandbox imports a workflow's module afresh for every run; ``build_worker`` keeps the compiled
code so that is not a compile (or a bytecode read) per run, while each run still gets its own
module. Checked on a real dev server with Python's own loader watched.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import CodeType

import pytest
from temporal_core import build_worker
from temporal_core.worker.versioning import code_build_id
from temporal_core.worker.workflow_code import WorkflowCodeCache
from temporalio.testing import WorkflowEnvironment

from tests.core import fresh_module_workflow
from tests.core.fresh_module_workflow import QUEUE, FreshModuleCount

WORKFLOW_FILE = str(Path(fresh_module_workflow.__file__).resolve())


@pytest.fixture
def loads_of_the_workflow_file(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time Python's source loader reads the workflow module's code (source or bytecode)."""
    loads: list[str] = []
    original = importlib.machinery.SourceFileLoader.get_code

    def watched(self: importlib.machinery.SourceFileLoader, fullname: str) -> CodeType | None:
        if str(Path(self.path).resolve()) == WORKFLOW_FILE:
            loads.append(fullname)
        return original(self, fullname)

    monkeypatch.setattr(importlib.machinery.SourceFileLoader, "get_code", watched)
    # As in a container that ships no bytecode: every load would compile the source.
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return loads


async def test_the_sandbox_loads_a_workflow_module_once_yet_each_run_gets_a_fresh_module(
    temporal_env: WorkflowEnvironment, task_queue: str, loads_of_the_workflow_file: list[str]
) -> None:
    client = temporal_env.client
    async with build_worker(client, QUEUE, task_queue=task_queue):
        counts = [
            await client.execute_workflow(
                FreshModuleCount.run, id=f"fresh-{uuid.uuid4().hex[:8]}", task_queue=task_queue
            )
            for _ in range(4)
        ]
    assert counts == [1, 1, 1, 1]  # no run saw another run's module state
    assert len(loads_of_the_workflow_file) <= 1, loads_of_the_workflow_file


@pytest.fixture
def package_on_path(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    name = f"code_cache_sample_{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        yield name, tmp_path / name / "values.py"
    finally:
        sys.path.remove(str(tmp_path))
        for module in [module for module in sys.modules if module.startswith(name)]:
            del sys.modules[module]


def test_a_source_file_changed_on_disk_is_loaded_again(
    package_on_path: tuple[str, Path],
) -> None:
    package, source = package_on_path
    cache = WorkflowCodeCache()
    cache.watch([package])
    sys.meta_path.insert(0, cache)
    try:

        def fresh_import() -> object:
            sys.modules.pop(f"{package}.values", None)
            return importlib.import_module(f"{package}.values").VALUE

        source.write_text("VALUE = 'first'\n")
        assert fresh_import() == "first"
        assert fresh_import() == "first"
        source.write_text("VALUE = 'second, and longer'\n")
        assert fresh_import() == "second, and longer"
    finally:
        sys.meta_path.remove(cache)


def test_modules_outside_the_watched_packages_are_left_to_python(
    package_on_path: tuple[str, Path],
) -> None:
    package, source = package_on_path
    source.write_text("VALUE = 1\n")
    cache = WorkflowCodeCache()
    cache.watch(["some_other_package"])
    assert cache.find_spec(package, None) is None
    assert cache.find_spec(f"{package}.values", None) is None


async def test_an_unversioned_worker_reports_the_digest_of_its_source_as_build_id(
    temporal_env: WorkflowEnvironment, task_queue: str
) -> None:
    client = temporal_env.client
    workflow_id = f"fresh-{uuid.uuid4().hex[:8]}"
    async with build_worker(client, QUEUE, task_queue=task_queue):
        await client.execute_workflow(FreshModuleCount.run, id=workflow_id, task_queue=task_queue)
    reported = set[str]()
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("workflow_task_completed_event_attributes"):
            attributes = event.workflow_task_completed_event_attributes
            reported.add(attributes.worker_version.build_id or attributes.binary_checksum)
    assert reported == {code_build_id()}
    assert len(code_build_id()) == 32
