"""The second-signal rule: an echo within the window is the same stop, a later one forces."""

from __future__ import annotations

import pytest
from temporal_core.cli.stop_signals import REPEAT_WINDOW_SECONDS, StopRequest, StopSignals

from tests.manual_clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(100.0)


def test_the_first_signal_starts_a_graceful_stop(clock: ManualClock) -> None:
    signals = StopSignals(clock=clock)
    assert not signals.received

    assert signals.classify() is StopRequest.FIRST
    assert signals.received


@pytest.mark.parametrize("delay", [0.0, 0.0002, 0.2, REPEAT_WINDOW_SECONDS])
def test_a_signal_within_the_window_is_the_first_one_again(
    clock: ManualClock, delay: float
) -> None:
    # 0.2 ms: SIGTERM to the process group plus uv's forwarded copy; 0.2 s: uv's SIGINT copy.
    signals = StopSignals(clock=clock)
    signals.classify()
    clock.now += delay

    assert signals.classify() is StopRequest.REPEATED


def test_a_signal_after_the_window_forces_the_exit(clock: ManualClock) -> None:
    signals = StopSignals(clock=clock)
    signals.classify()
    clock.now += REPEAT_WINDOW_SECONDS + 0.001

    assert signals.classify() is StopRequest.FORCE


def test_the_window_runs_from_the_first_signal_so_echoes_cannot_extend_it(
    clock: ManualClock,
) -> None:
    signals = StopSignals(window=1.0, clock=clock)
    signals.classify()
    outcomes: list[StopRequest] = []
    for _ in range(3):
        clock.now += 0.4
        outcomes.append(signals.classify())

    assert outcomes == [StopRequest.REPEATED, StopRequest.REPEATED, StopRequest.FORCE]


def test_every_signal_after_the_window_forces(clock: ManualClock) -> None:
    signals = StopSignals(window=0.5, clock=clock)
    signals.classify()
    clock.now += 5
    assert signals.classify() is StopRequest.FORCE
    clock.now += 0.01
    assert signals.classify() is StopRequest.FORCE


def test_the_window_is_one_second_by_default() -> None:
    assert StopSignals().window == REPEAT_WINDOW_SECONDS == 1.0
