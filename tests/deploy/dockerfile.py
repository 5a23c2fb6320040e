"""A small Dockerfile reader, so the deploy tests follow what the Dockerfiles say.

It understands what our Dockerfiles use: comments and parser directives, line continuations,
``FROM ... AS name`` stages, instruction flags (``--mount=...``, ``--from=...``, ``--retries=...``),
``ENV`` key=value pairs and JSON (exec form) ``CMD``/``HEALTHCHECK``. Anything else is kept as raw
text. It is not a general parser; hadolint (run in ``test_lint``) is the real syntax check.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

REPO = Path(__file__).resolve().parents[2]
SERVICE_DOCKERFILES = sorted(REPO.glob("packages/*/Dockerfile"))


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword, leading ``--flags`` and the rest of the line."""

    keyword: str
    flags: tuple[str, ...]
    arguments: str
    line: int

    def flag(self, name: str) -> str | None:
        """The value of ``--name=value``, if given."""
        prefix = f"--{name}="
        return next((f.removeprefix(prefix) for f in self.flags if f.startswith(prefix)), None)

    def mounts(self) -> list[dict[str, str]]:
        """``RUN --mount=...`` options as dicts, e.g. ``{"type": "bind", "source": ...}``."""
        found = []
        for value in (f.removeprefix("--mount=") for f in self.flags if f.startswith("--mount=")):
            found.append(dict(part.split("=", 1) for part in value.split(",")))
        return found

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form ``CMD``/``ENTRYPOINT`` (or ``HEALTHCHECK CMD``)."""
        text = (
            self.arguments.removeprefix("CMD").strip()
            if self.keyword == "HEALTHCHECK"
            else (self.arguments)
        )
        value = json.loads(text)
        assert isinstance(value, list), f"line {self.line}: {self.keyword} is not in exec form"
        return [str(item) for item in value]

    def words(self) -> list[str]:
        """The arguments split the way a shell would (for ``RUN`` and ``COPY``)."""
        return shlex.split(self.arguments)


@dataclass
class Stage:
    """A build stage: its base image, optional name and instructions in order."""

    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list[Instruction])

    def all(self, keyword: str) -> list[Instruction]:
        """Every instruction with ``keyword``."""
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        """The instruction with ``keyword`` that takes effect (Docker keeps the last one)."""
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """Variables set by this stage's ``ENV`` instructions (values unexpanded)."""
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.words():
                name, _, value = word.partition("=")
                values[name] = value
        return values

    def uv_syncs(self) -> list[Instruction]:
        """The ``RUN uv sync ...`` instructions, in build order."""
        return [i for i in self.all("RUN") if i.words()[:2] == ["uv", "sync"]]


@dataclass
class Dockerfile:
    """A parsed Dockerfile: its stages in order (the last one is the image)."""

    path: Path
    stages: list[Stage]

    @classmethod
    def parse(cls, path: Path) -> Dockerfile:
        """Read ``path``."""
        stages: list[Stage] = []
        for instruction in _instructions(path.read_text()):
            if instruction.keyword == "FROM":
                words = instruction.words()
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                stages.append(Stage(base=words[0], name=name))
            else:
                assert stages, f"{path}:{instruction.line}: instruction before FROM"
                stages[-1].instructions.append(instruction)
        return cls(path=path, stages=stages)

    @property
    def runtime(self) -> Stage:
        """The final stage: what ``docker build`` produces."""
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        """The stage called ``name``."""
        return next(s for s in self.stages if s.name == name)

    @property
    def package(self) -> str:
        """The workspace member the image installs (``--package`` of its ``uv sync`` steps)."""
        packages = {_option(i.words(), "--package") for s in self.stages for i in s.uv_syncs()}
        assert len(packages) == 1, f"{self.path}: uv sync steps disagree on --package: {packages}"
        (package,) = packages
        assert package, f"{self.path}: uv sync without --package"
        return package


def _option(words: list[str], name: str) -> str | None:
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(name + "="):
            return word.split("=", 1)[1]
    return None


def _instructions(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        # Comments (and parser directives, which look like comments) may sit anywhere, even
        # between the continued lines of one instruction; Docker drops them.
        if not stripped or stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        instructions.append(_split(" ".join(pending), start))
        pending = []
    assert not pending, "the last instruction ends with a line continuation"
    return instructions


_FLAG = re.compile(r"--[a-z-]+=\S+")


def _split(line: str, number: int) -> Instruction:
    keyword, _, rest = line.partition(" ")
    flags: list[str] = []
    rest = rest.strip()
    while match := _FLAG.match(rest):
        flags.append(match.group(0))
        rest = rest[match.end() :].strip()
    return Instruction(keyword.upper(), tuple(flags), rest, number)


class DockerIgnore:
    """The build context filter of a ``.dockerignore`` file, with Docker's matching rules.

    Patterns are matched against paths relative to the context root, ``**`` spans any number
    of directories, a pattern that matches a directory excludes everything in it, and a later
    ``!pattern`` re-includes what an earlier one excluded.
    """

    def __init__(self, path: Path = REPO / ".dockerignore") -> None:
        """Read the patterns of ``path``."""
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in path.read_text().splitlines():
            pattern = line.strip()
            if not pattern or pattern.startswith("#"):
                continue
            negated = pattern.startswith("!")
            pattern = pattern.removeprefix("!").strip("/")
            self.rules.append((negated, re.compile(_glob_to_regex(pattern))))

    def excludes(self, relative: str) -> bool:
        """Whether the file or directory at ``relative`` stays out of the build context."""
        parts = PurePosixPath(relative).parts
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negated, rule in self.rules:
            if any(rule.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded


def _glob_to_regex(pattern: str) -> str:
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "[":
            end = pattern.index("]", index)
            out.append(pattern[index : end + 1])
            index = end + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)
