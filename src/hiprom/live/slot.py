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

The worker may be several threads (``takers``: the live loop's pose threads,
:mod:`hiprom.live.posepool`): each frame goes to one of them, in the order the
frames arrived, numbered as it leaves (:meth:`FrameSlot.take`), to the first
one when it is free (the second works only while the first is busy); their
usual time per frame is one taker's time divided by the takers.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
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
    """Frames from the grabber, taken by a worker of ``takers`` threads; counts what it never got (``dropped``).

    Args:
        takers: threads taking frames in turn (1: one worker thread).
        clock: monotonic seconds that time the frames (their age, the source's interval, the
            worker's time per frame); a test drives it to replay a run exactly. A wait for a frame
            (``timeout``) is always in real seconds.
    """

    def __init__(self, takers: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if takers < 1:
            raise ValueError(f"takers must be at least 1, but got {takers}")
        self.takers = takers
        self._clock = clock
        self._cond = threading.Condition()
        self._items: deque[tuple[float, T]] = deque()  # (arrival, monotonic s; item), oldest first
        self._arrivals: deque[float] = deque(maxlen=WINDOW)  # s between puts
        self._busy: deque[float] = deque(maxlen=WINDOW)  # s from handing a frame to a taker to its next take
        self._last_put: float | None = None
        self._handed_out: dict[int, float] = {}  # taker's thread id -> when it was handed its frame (monotonic s)
        self._waiting: dict[int, int] = {}  # rank -> takers of that rank waiting for a frame
        self.handed = 0  # frames handed out so far
        self.dropped = 0
        self.grabbed = 0

    def put(self, item: T) -> None:
        """Leave ``item`` for the worker (the grabber's side; never blocks)."""
        with self._cond:
            now = self._clock()
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
        taken = self.take(timeout)
        return None if taken is None else taken[1]

    def take(self, timeout: float, rank: int = 0) -> tuple[int, T] | None:
        """``(number, frame)``: the next frame as :meth:`get` gives it, and how many frames were
        handed out before it (0, 1, 2...: frames leave in the order they arrived, so numbers in
        capture order). The calling thread counts as one of the ``takers``.

        ``rank``: a taker gets a frame only while no taker of a lower rank waits for one, so that
        the second of two takers works only when the first is busy (0: the first).
        """
        with self._cond:
            me = threading.get_ident()
            now = self._clock()
            started = self._handed_out.pop(me, None)
            if started is not None:
                self._busy.append(now - started)
            deadline = time.monotonic() + timeout
            self._waiting[rank] = self._waiting.get(rank, 0) + 1
            try:
                while True:
                    now = self._clock()
                    self._trim(now)
                    if self._items and not any(self._waiting.get(r) for r in range(rank)):
                        break
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._cond.wait(left)
            finally:
                self._waiting[rank] -= 1
            self._handed_out[me] = now
            number, self.handed = self.handed, self.handed + 1
            item = self._items.popleft()[1]
            self._cond.notify_all()  # a taker of a higher rank may take what is left
            return number, item

    def _catching_up(self) -> bool:
        """Whether the worker, by its recent pace, works through a backlog rather than skipping it
        (callers hold the lock): its time per frame is one taker's median time over the takers."""
        if len(self._busy) < MIN_SAMPLES or len(self._arrivals) < MIN_SAMPLES:
            return False
        return statistics.median(self._busy) / self.takers < HEADROOM * statistics.fmean(self._arrivals)

    def __len__(self) -> int:
        """Frames waiting to be taken."""
        with self._cond:
            return len(self._items)

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
