"""The throughput benchmark still runs end to end and prints every scenario (never its timings)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.throughput import rows

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(420)
def test_the_quick_benchmark_prints_a_row_for_every_scenario() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.throughput", "--quick", "--orders", "4"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    table = done.stdout.splitlines()
    for scenario in rows():
        assert any(line.startswith(scenario) for line in table), (
            f"{scenario!r} missing:\n{done.stdout}"
        )
