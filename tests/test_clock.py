"""The clock live pictures are timed by: a sleep of the computer between two readings is seen."""

from __future__ import annotations

import pytest

from hiprom.clock import AwakeClock


class Clocks:
    """A monotonic clock and a reference clock (boot time or wall), moved by hand (seconds)."""

    def __init__(self) -> None:
        self.mono = self.ref = 100.0

    def step(self, mono_s: float, ref_s: float) -> None:
        self.mono += mono_s
        self.ref += ref_s


@pytest.mark.parametrize(("mono_s", "ref_s", "gap_ms", "sleeps"), [
    (0.033, 0.033, 33.0, 0),          # awake: one frame apart on both
    (0.033, 600.033, 600_033.0, 1),   # asleep 10 min: the monotonic clock stood still, the boot clock did not
    (0.033, 0.2, 33.0, 0),            # a wall clock's small step forward is not a sleep
    (0.033, -3600.0, 33.0, 0),        # nor a wall clock put back an hour (summer time, by hand)
])
def test_a_sleep_between_two_readings_puts_them_that_far_apart(mono_s, ref_s, gap_ms, sleeps):
    clocks = Clocks()
    clock = AwakeClock(lambda: clocks.mono, lambda: clocks.ref)
    first = clock.now_ms()
    clocks.step(mono_s, ref_s)
    assert clock.now_ms() - first == pytest.approx(gap_ms)
    assert clock.sleeps == sleeps
    clocks.step(0.033, 0.033)  # awake again: one frame apart, the sleep kept in the time
    assert clock.now_ms() - first == pytest.approx(gap_ms + 33.0)


def test_the_real_clock_goes_forward():
    clock = AwakeClock()
    a = clock.now_ms()
    assert clock.now_ms() >= a and clock.sleeps == 0
