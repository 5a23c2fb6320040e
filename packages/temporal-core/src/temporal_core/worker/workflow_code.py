"""Compile a workflow's code once per worker process, not once per workflow run.

The workflow sandbox imports a workflow's package afresh for every run it starts: that is how it
keeps one run's module state from leaking into another. Python's import machinery then reads and
compiles the module's source each time unless compiled bytecode is cached on disk, and it is not
under ``PYTHONDONTWRITEBYTECODE=1`` or on a read-only filesystem without precompiled bytecode.
With bytecode on disk it still re-reads and unmarshals it on every run. Profiles of a worker
draining a backlog put that at about a tenth of its CPU.

:func:`compile_once` keeps the code object of each module in a workflow's top-level package after
its first load and hands the same code to every later import. A code object is immutable; each
run still executes it into a fresh module, so the sandbox's isolation is unchanged. A source file
that changes on disk (another modification time or size) is compiled again, as Python itself
would. ``build_worker`` calls it for the workflows it registers.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from types import CodeType, ModuleType

__all__ = ["WorkflowCodeCache", "compile_once"]


class WorkflowCodeCache(importlib.abc.MetaPathFinder):
    """A finder that gives the modules of watched packages a loader that remembers their code."""

    def __init__(self) -> None:
        """Nothing is watched until :meth:`watch` names a package."""
        self._packages: frozenset[str] = frozenset()
        self._code: dict[tuple[str, int, int], CodeType] = {}
        self._lock = threading.Lock()

    def watch(self, packages: Iterable[str]) -> None:
        """Keep the code of every module in ``packages`` (top-level names) from now on."""
        with self._lock:
            self._packages = self._packages | frozenset(packages)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """The usual spec for a watched module, its loader swapped for one that keeps code."""
        if fullname.partition(".")[0] not in self._packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
            return spec
        assert spec.origin is not None  # a source file loader always has its file
        spec.loader = _CodeKeepingLoader(fullname, spec.origin, self)
        return spec

    def code_for(self, loader: _CodeKeepingLoader, fullname: str) -> CodeType | None:
        """The module's code: kept from an earlier load of the same file, or loaded now."""
        status = os.stat(loader.path)
        key = (loader.path, status.st_mtime_ns, status.st_size)
        code = self._code.get(key)
        if code is None:
            code = importlib.machinery.SourceFileLoader.get_code(loader, fullname)
            if code is not None:
                self._code[key] = code
        return code


class _CodeKeepingLoader(importlib.machinery.SourceFileLoader):
    """A source loader whose code comes from (and goes to) a :class:`WorkflowCodeCache`."""

    def __init__(self, fullname: str, path: str, cache: WorkflowCodeCache) -> None:
        super().__init__(fullname, path)
        self._cache = cache

    def get_code(self, fullname: str) -> CodeType | None:
        return self._cache.code_for(self, fullname)


_CACHE = WorkflowCodeCache()


def compile_once(workflow_classes: Iterable[type]) -> None:
    """Keep the compiled code of the packages that define ``workflow_classes``.

    The finder goes into ``sys.meta_path`` once, just before Python's own path finder, so
    finders installed earlier (pytest's assertion rewriting, say) still come first.
    """
    packages = {cls.__module__.partition(".")[0] for cls in workflow_classes}
    packages.discard("__main__")  # the sandbox loads a __main__ workflow from its file itself
    _CACHE.watch(packages)
    if _CACHE not in sys.meta_path:
        position = next(
            (
                index
                for index, finder in enumerate(sys.meta_path)
                if finder is importlib.machinery.PathFinder
            ),
            len(sys.meta_path),
        )
        sys.meta_path.insert(position, _CACHE)
