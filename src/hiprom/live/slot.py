"""Where the live grabber leaves frames for the worker: fresh frames only, no lost ones in a hiccup.

The worker must always measure what is happening now, so when it is slower
than the source it takes the newest frame and the ones in between are dropped.
But a worker that keeps up easily also meets the odd slow frame (MediaPipe
looking for the person afresh, another program taking the CPU for a moment:
100-160 ms on this project's 2-core machines, measured at random points of a
30 fps live run). Dropping the 3-4 frames that arrive meanwhile leaves a hole
in the trace for no reason: the worker, given them, catches up within a few
frames. So :class:`FrameSlot` keeps a short backlog, never older than
``MAX_LAG_S``, while the worker's usual time per frame is well under the
source's frame interval, and only the newest frame otherwise.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LAG_S = 0.25
"""Oldest frame kept for a worker catching up, in seconds after it arrived."""
HEADROOM = 0.8
"""A backlog is worked through only when the worker's median time per frame is
under this share of the mean interval between frames: then each frame taken
gains it at least a fifth of an interval on the source. (A median for the worker,
whose one slow frame is what the backlog is for; a mean for the source, whose
frames come in a burst after a delay of its own, and the burst is no faster source.)"""
WINDOW = 15
"""Frames in the running figures of the worker's time and of the source's interval."""
MIN_SAMPLES = 5
"""Until it has this many of both, the slot keeps only the newest frame."""
MAX_FRAMES = 16
"""Never more frames than this held at once, whatever their age (memory)."""


class FrameSlot(Generic[T]):
    """Frames from the grabber, taken by one worker; counts what it never got (``dropped``)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._items: deque[tuple[float, T]] = deque()  # (arrival, monotonic s; item), oldest first
        self._arrivals: deque[float] = deque(maxlen=WINDOW)  # s between puts
        self._busy: deque[float] = deque(maxlen=WINDOW)  # s from handing a frame out to the next get
        self._last_put: float | None = None
        self._handed_out: float | None = None
        self.dropped = 0
        self.grabbed = 0

    def put(self, item: T) -> None:
        """Leave ``item`` for the worker (the grabber's side; never blocks)."""
        with self._cond:
            now = time.monotonic()
            if self._last_put is not None:
                self._arrivals.append(now - self._last_put)
            self._last_put = now
            self._items.append((now, item))
            self.grabbed += 1
            self._trim(now)
            self._cond.notify_all()

    def get(self, timeout: float) -> T | None:
        """The next frame for the worker, waiting up to ``timeout`` seconds; None if nothing came.

        The oldest frame of a backlog when the worker is catching up, else the newest.
        """
        with self._cond:
            now = time.monotonic()
            if self._handed_out is not None:
                self._busy.append(now - self._handed_out)
                self._handed_out = None
            if not self._items:
                self._cond.wait(timeout)
            now = time.monotonic()
            self._trim(now)
            if not self._items:
                return None
            self._handed_out = now
            return self._items.popleft()[1]

    def _catching_up(self) -> bool:
        """Whether the worker, by its recent pace, works through a backlog rather than skipping it
        (callers hold the lock)."""
        if len(self._busy) < MIN_SAMPLES or len(self._arrivals) < MIN_SAMPLES:
            return False
        return statistics.median(self._busy) < HEADROOM * statistics.fmean(self._arrivals)

    def clear(self) -> None:
        """Forget the frames waiting (a rewind or restart: they belong to the old stream)."""
        with self._cond:
            self._items.clear()

    def _trim(self, now: float) -> None:
        """Drop what the worker will not get: all but the newest frame, or, while it catches up,
        frames older than ``MAX_LAG_S`` and beyond ``MAX_FRAMES``."""
        keep_backlog = self._catching_up()
        while len(self._items) > 1 and (
            not keep_backlog or len(self._items) > MAX_FRAMES or now - self._items[0][0] > MAX_LAG_S
        ):
            self._items.popleft()
            self.dropped += 1
