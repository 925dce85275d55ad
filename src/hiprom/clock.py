"""The clock live pictures are timed by: milliseconds that go on while the computer sleeps.

``time.monotonic()`` stops while the computer is suspended (Linux's ``CLOCK_MONOTONIC``, macOS's
``mach_absolute_time``): a laptop that slept for ten minutes in the middle of a held turn gave its
next picture a time a frame after the last one, so a person who sat as before was measured as
having held the turn straight through. :class:`AwakeClock` adds every sleep it sees to the
monotonic time: a sleep is the reference clock (``CLOCK_BOOTTIME`` where there is one, which
counts a suspend; else the wall clock) running ahead of the monotonic one between two readings.
The pictures either side of a sleep are then that far apart, a gap without pictures, which the
guide's timers and the trial detector never count as held (``assessment.trials``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

SLEEP_MIN_S = 0.25
"""The reference clock ahead of the monotonic one by more than this between two readings is a sleep (a
wall clock's NTP slewing is some microseconds a second; a backward step is never one)."""


def reference_s() -> float:
    """Seconds on a clock that counts a suspend: ``CLOCK_BOOTTIME`` (Linux), else the wall clock."""
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    return time.clock_gettime(boottime) if boottime is not None else time.time()


class AwakeClock:
    """Monotonic milliseconds, plus the time the computer slept between two readings.

    Args:
        monotonic: seconds on a clock that never goes back (and may stop during a sleep).
        reference: seconds on a clock that counts a sleep (see :func:`reference_s`).
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic,
                 reference: Callable[[], float] = reference_s) -> None:
        self._monotonic = monotonic
        self._reference = reference
        self._last: tuple[float, float] | None = None  # (monotonic, reference) s at the last reading
        self.slept_s = 0.0
        """Seconds slept in total since the first reading."""
        self.sleeps = 0
        """How many sleeps were seen."""
        self.just_slept = False
        """Whether the last reading saw a sleep since the one before (the pictures either side are that far apart)."""

    def now_ms(self) -> float:
        """Milliseconds: the monotonic clock's, plus every sleep seen since the first reading."""
        mono, ref = self._monotonic(), self._reference()
        slept = 0.0 if self._last is None else (ref - self._last[1]) - (mono - self._last[0])
        self.just_slept = slept > SLEEP_MIN_S
        if self.just_slept:
            self.slept_s += slept
            self.sleeps += 1
        self._last = (mono, ref)
        return (mono + self.slept_s) * 1000.0
