"""The README's quick start is executed as written, so it stays true.

Its first command is the one `StackProcess` runs; its token and curl lines run in order through
bash against that stack, on free ports (``localhost:8000`` is rewritten to the test's API port,
nothing else). The stack runs with a test data folder, so ``uv run token`` is pointed at that
stack's key file with ``API_AUTH_KEYS_FILE``, the variable the command documents for it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningStack, running_stack, stack_environment
from tests.e2e.stack_process import ROOT, STACK_COMMAND

README = (ROOT / "README.md").read_text()
QUICKSTART = README.split("<!-- quickstart:begin -->", 1)[1].split("<!-- quickstart:end -->", 1)[0]
DOCUMENTED_PORT = "localhost:8000"
NOT_READY_WAIT = 60.0


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)


def commands(block: str) -> list[str]:
    """Shell commands of a block: continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    found: list[str] = []
    for line in joined.splitlines():
        command = line.split("  #", 1)[0].strip()
        if command and not command.startswith("#"):
            found.append(command)
    return found


ASSIGNMENT = re.compile(r"^([A-Z_]+)=\$\((.+)\)$")
"""``TOKEN=$(uv run token --as alice)``: a shell variable the later curls use."""


def example_lines() -> list[str]:
    """The token assignments and curls after the first block, in order."""
    return [
        command
        for block in code_blocks(QUICKSTART)[1:]
        for command in commands(block)
        if command.startswith("curl ") or ASSIGNMENT.match(command)
    ]


def curl_examples() -> list[str]:
    return [command for command in example_lines() if command.startswith("curl ")]


def test_quickstart_names_prerequisites_and_the_two_commands() -> None:
    assert "Python 3.11" in QUICKSTART
    assert "pip install uv" in QUICKSTART
    first_block = commands(code_blocks(QUICKSTART)[0])
    assert first_block == [" ".join(STACK_COMMAND), "uv run pytest"]
    assert len(curl_examples()) >= 9
    assert all(DOCUMENTED_PORT in command for command in curl_examples())
    # Authentication is on: every curl sends a token a line before it made.
    assigned = {match[1] for line in example_lines() if (match := ASSIGNMENT.match(line))}
    assert assigned >= {"TOKEN"}
    for command in curl_examples():
        assert re.search(r'-H "Authorization: Bearer \$[A-Z_]+"', command), command


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("readme-stack"), env=stack_environment()) as up:
        yield up


def run_example(
    command: str, *, port: int, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run one README curl through bash with the test's port; HTTP errors fail it.

    ``--fail-with-body`` and friends are added after ``curl``. A 409 from a download means the
    report is still being generated, which the README says to wait for: that one is polled
    until it passes.
    """
    line = command.replace(DOCUMENTED_PORT, f"127.0.0.1:{port}")
    line = "curl --fail-with-body --show-error --max-time 60" + line.removeprefix("curl")
    deadline = time.monotonic() + NOT_READY_WAIT
    while True:
        done = subprocess.run(
            ["bash", "-c", line],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        still_generating = "/download" in command and "409" in done.stderr
        if done.returncode == 0 or not still_generating or time.monotonic() > deadline:
            return done
        time.sleep(0.2)


def assign(command: str, *, env: dict[str, str]) -> str:
    """Run ``NAME=$(...)`` as bash would, from the repository root; the value it assigns."""
    match = ASSIGNMENT.match(command)
    assert match is not None, command
    done = subprocess.run(
        ["bash", "-c", f'{command} && printf %s "${match[1]}"'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert done.stdout, f"{command} assigned nothing"
    return done.stdout


@pytest.mark.e2e
def test_quickstart_curl_examples_work(stack: RunningStack, tmp_path: Path) -> None:
    assert shutil.which("curl"), "the README's examples use curl"
    env = stack_environment(API_AUTH_KEYS_FILE=str(stack.data_dir / "auth-keys.json"))
    answers: list[str] = []
    for command in example_lines():
        if not command.startswith("curl "):
            match = ASSIGNMENT.match(command)
            assert match is not None
            env[match[1]] = assign(command, env=env)
            continue
        done = run_example(command, port=stack.ports.api, cwd=tmp_path, env=env)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        answers.append(done.stdout)

    everything = "\n".join(answers)
    assert '"order_id":"A-1001","status":"completed"' in everything
    assert '"status":"approved"' in everything
    # The key is the caller's own: the report id holds the caller's owner tag before it.
    assert re.search(r'"report_id":"report-[0-9a-f]{12}-R-1"', everything), everything
    report = (tmp_path / "report-R-1.csv").read_text().splitlines()
    assert len(report) >= 1000
