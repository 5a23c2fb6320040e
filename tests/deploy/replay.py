"""Replaying a Dockerfile's ``builder`` stage outside Docker, as far as the deploy tests need it.

There is no Docker engine on the test machines, so the tests do what ``docker build`` would do,
read from the Dockerfile itself (:mod:`tests.deploy.dockerfile`): each stage the builder needs
gets a scratch directory standing in for its root file system, ``WORKDIR``, ``COPY`` (from the
build context, filtered by its ``.dockerignore``, or ``--from`` another stage) and plain ``RUN``
shell commands are carried out there, and each ``RUN uv sync`` is handed to the caller with its
bind mounts in place (they are removed after it, as BuildKit does). The caller decides whether to
look at the files the step sees (:meth:`UvSync.files`) or to run it (:meth:`UvSync.run`).

Two things stand in for parts of the images: the host's ``uv`` for the pinned uv image (a
``COPY --from`` a stage without instructions is an external image and is skipped) and uv's own
cache for the cache mounts. Shell commands run on the host, so they must use relative paths only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tests.deploy.dockerfile import Dockerfile, DockerIgnore, Instruction, Stage


@dataclass(frozen=True)
class UvSync:
    """One ``RUN uv sync`` of the builder stage, with its bind mounts in place."""

    instruction: Instruction
    workdir: Path
    env: dict[str, str]

    def files(self) -> set[str]:
        """Every file this step can read under its ``WORKDIR``, relative to it."""
        return {
            path.relative_to(self.workdir).as_posix()
            for path in self.workdir.rglob("*")
            if path.is_file()
        }

    def run(self, venv: Path) -> subprocess.CompletedProcess[str]:
        """Run the step with ``venv`` as the image's venv (``UV_PROJECT_ENVIRONMENT``)."""
        return subprocess.run(
            self.instruction.words(),
            cwd=self.workdir,
            env=self.env | {"UV_PROJECT_ENVIRONMENT": str(venv)},
            capture_output=True,
            text=True,
            check=False,
        )


class _StageFiles:
    """A stage's stand-in root file system and current ``WORKDIR``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workdir = PurePosixPath("/")
        root.mkdir(parents=True)

    def path(self, inside: str) -> Path:
        """Where ``inside`` (absolute, or relative to ``WORKDIR``) is on the host."""
        absolute = self.workdir / inside
        return self.root.joinpath(*absolute.parts[1:])


def uv_syncs(image: Dockerfile, context: Path, scratch: Path) -> Iterator[UvSync]:
    """Replay ``image``'s builder stage in ``scratch``, yielding each ``uv sync`` before it runs.

    ``context`` is the build context (the repository root, or a copy of it). The caller runs
    each step or not; either way the replay carries on with the next instruction when resumed.
    """
    ignore = DockerIgnore(context / ".dockerignore")
    built: dict[str, _StageFiles] = {}
    builder = image.stage("builder")
    for stage in _stages_for(image, builder):
        files = _StageFiles(scratch / (stage.name or f"stage-{image.stages.index(stage)}"))
        built[stage.name or ""] = files
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | stage.env()
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                files.workdir = files.workdir / instruction.arguments
                files.path(".").mkdir(parents=True, exist_ok=True)
            elif instruction.keyword == "COPY":
                _copy(image, instruction, files, built, context, ignore)
            elif instruction.keyword == "RUN":
                mounted = _mount(instruction, files, built, context, ignore)
                try:
                    if instruction in stage.uv_syncs():
                        yield UvSync(instruction, files.path("."), env)
                    else:
                        _shell(instruction, files)
                finally:
                    for path in mounted:
                        _remove(path)
            elif instruction.keyword not in {"ENV", "ARG", "LABEL"}:
                raise AssertionError(
                    f"line {instruction.line}: cannot replay {instruction.keyword}"
                )


def _stages_for(image: Dockerfile, target: Stage) -> list[Stage]:
    """``target`` and the stages it copies from (transitively), in Dockerfile order."""
    needed = {id(target)}
    todo = [target]
    while todo:
        stage = todo.pop()
        for name in _sources(stage):
            other = image.stage(name)
            if id(other) not in needed:
                needed.add(id(other))
                todo.append(other)
    return [s for s in image.stages if id(s) in needed and s.instructions]


def _sources(stage: Stage) -> set[str]:
    names = {i.flag("from") for i in stage.all("COPY")} - {None}
    names |= {m["from"] for i in stage.all("RUN") for m in i.mounts() if "from" in m}
    return {str(name) for name in names}


def _copy(
    image: Dockerfile,
    instruction: Instruction,
    files: _StageFiles,
    built: dict[str, _StageFiles],
    context: Path,
    ignore: DockerIgnore,
) -> None:
    source, destination = instruction.words()
    origin = instruction.flag("from")
    if origin is None:
        _place_from_context(source, files.path(destination), context, ignore)
    elif origin in built:
        _place(built[origin].path(source), files.path(destination))
    else:
        # An external image; the only one the Dockerfiles copy from is uv's, for its binary.
        assert not image.stage(origin).instructions, f"stage {origin} was not replayed"
        assert PurePosixPath(source).name == "uv", f"line {instruction.line}: cannot stand in"


def _mount(
    instruction: Instruction,
    files: _StageFiles,
    built: dict[str, _StageFiles],
    context: Path,
    ignore: DockerIgnore,
) -> list[Path]:
    placed = []
    for mount in instruction.mounts():
        if mount.get("type") != "bind":
            continue  # cache mounts: uv's own cache stands in
        target = files.path(mount["target"])
        assert not target.exists(), f"line {instruction.line}: a mount would hide {target}"
        if "from" in mount:
            _place(built[mount["from"]].path(mount["source"]), target)
        else:
            _place_from_context(mount["source"], target, context, ignore)
        placed.append(target)
    return placed


def _shell(instruction: Instruction, files: _StageFiles) -> None:
    # The command runs on the host: an absolute path would reach outside the stand-in root.
    absolute = [word for word in instruction.words() if word.startswith("/")]
    assert not absolute, f"line {instruction.line}: cannot replay absolute paths {absolute}"
    subprocess.run(["/bin/sh", "-c", instruction.arguments], cwd=files.path("."), check=True)


def _place_from_context(source: str, target: Path, context: Path, ignore: DockerIgnore) -> None:
    """Copy ``source`` from the build context, leaving out what ``.dockerignore`` excludes."""
    assert not ignore.excludes(source), f"{source} is kept out of the build context"
    origin = context / source

    def ignored(directory: str, names: list[str]) -> set[str]:
        relative = Path(directory).relative_to(context).as_posix()
        return {name for name in names if ignore.excludes(f"{relative}/{name}")}

    _place(origin, target, ignored)


def _place(
    origin: Path, target: Path, ignored: Callable[[str, list[str]], set[str]] | None = None
) -> None:
    # COPY of a directory copies its contents into the target, merging with what is there.
    assert origin.exists(), f"{origin} does not exist"
    target.parent.mkdir(parents=True, exist_ok=True)
    if origin.is_dir():
        shutil.copytree(origin, target, ignore=ignored, dirs_exist_ok=True)
    else:
        shutil.copy2(origin, target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
