"""Figures of the fault-injection tests: printed, stored as a JUnit property, and summarised.

Each test takes the ``figures`` fixture and fills it in. Whatever the outcome, its line is
printed (visible with ``-s``/``-rA``), recorded with ``record_property`` (JUnit XML), and repeated
in a "reliability figures" section at the end of the terminal report, which CI always shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.figures import Figures

_LINES = pytest.StashKey[list[str]]()


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, record_property: pytest.RecordProperty
) -> Iterator[Figures]:
    """This test's figures; reported at teardown, also when the test failed."""
    measured = Figures(scenario=request.node.name)
    yield measured
    line = measured.line()
    print(line)
    record_property("reliability_figures", line)
    request.config.stash.setdefault(_LINES, []).append(line)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_LINES, [])
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
