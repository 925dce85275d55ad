"""Browser-camera sessions whose connection dropped mid-test, kept a while for their page to come back.

A guided test on a page's camera lives on its connection (``routes/camera.py``): a network that
dropped for 30 s ended it, and the page could only say so and start again. The page now names itself
(``/ws/camera?page=<id>``, a random id per tab, kept across its reloads: a reload mid-test keeps the
test too); when its connection drops while a test is under way, the session (its processor, the one
thread that feeds it, its clock) is parked here for ``grace_s``, and a connection of the same page
within that time takes it back: the test goes on where it was. A page whose link dropped may connect
again before the server has noticed the drop (it notices a dead network only when its pings go
unanswered, some 20-40 s): its old connection is then asked to end, and parks the test for the new
one. The pictures the drop cost are a gap the guide and the trial detector never count as held.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from hiprom.clock import AwakeClock
from hiprom.kinematics.smoothing import MAX_UNSEEN_S
from hiprom.live.processor import LiveProcessor

GRACE_S = 120.0
"""How long a dropped page's test waits for it (s)."""
PAGE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
"""What a page's id looks like (``crypto.randomUUID()``); anything else is not looked up."""
PAGE_STALL_CAUSE = "network"
"""Why a page's pictures stopped when it said nothing and this computer was neither asleep nor busy
(``CameraSession.stamp``): the page says when its tab hid, its camera stopped or its own computer fell behind,
so nothing came over the network (the processor's ``stall_cause``: ``reasons.PICTURES_STOPPED_ADVICE``)."""


@dataclass
class CameraSession:
    """One page's camera measured: its processor, the one thread that feeds it, and its clock."""

    proc: LiveProcessor
    executor: ThreadPoolExecutor
    clock: AwakeClock = field(default_factory=AwakeClock)
    last_t_ms: float = 0.0
    """The time of the last picture measured (ms on ``clock``): the next is later."""

    def stamp(self, arrived_ms: float, slept: bool = False, waited: bool = False) -> float:
        """The time (ms on ``clock``) of the picture about to be measured, which came at ``arrived_ms``; a turn
        whose pictures stopped before it is put down to this computer asleep (``slept``), or too busy:
        ``waited``, the picture came while the one before it was being measured, and more than
        ``MAX_UNSEEN_S`` passed between the two measured. Otherwise to what the page said, else the network
        (:data:`PAGE_STALL_CAUSE`)."""
        t_ms = max(arrived_ms, self.last_t_ms + 1.0)
        unseen_ms, self.last_t_ms = t_ms - self.last_t_ms, t_ms
        if slept:
            self.proc.guide.pictures_stopped_by("asleep")
        elif waited and unseen_ms > 1000.0 * MAX_UNSEEN_S:
            self.proc.guide.pictures_stopped_by("busy")
        return t_ms

    def close(self) -> None:
        """Release the pose model on its own thread, then the thread."""
        self.executor.submit(self.proc.close)
        self.executor.shutdown(wait=False)


class ParkedCameras:
    """Sessions parked by page id, the oldest dropped first beyond ``capacity`` or after ``grace_s``.

    Args:
        capacity: at most this many parked (each holds a pose model).
        grace_s: how long one waits for its page.
        now: seconds on a monotonic clock.
    """

    def __init__(self, capacity: int = 4, grace_s: float = GRACE_S, now: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, CameraSession]] = OrderedDict()
        self._open: dict[str, asyncio.Event] = {}  # page ids with a connection open: set, it is asked to end
        self._lock = threading.Lock()
        self._capacity = capacity
        self._grace_s = grace_s
        self._now = now

    def park(self, page_id: str, session: CameraSession) -> None:
        """Keep ``session`` for page ``page_id``; those dropped to make room, or too old, are closed."""
        with self._lock:
            old = self._items.pop(page_id, None)
            self._items[page_id] = (self._now(), session)
            gone = self._expired() + ([old[1]] if old else [])
        for s in gone:
            s.close()

    async def claim(self, page_id: str | None, wait_s: float = 5.0) -> CameraSession | None:
        """Page ``page_id``'s parked session, for its new connection; an old connection of the page still open is
        asked to end first, and its session waited for (at most ``wait_s``). None: nothing kept for it."""
        old = self._open.get(page_id) if page_id else None
        if old is not None:
            old.set()
            deadline = self._now() + wait_s
            while self._open.get(page_id) is old and self._now() < deadline:
                await asyncio.sleep(0.05)
        return self.take(page_id)

    def opened(self, page_id: str | None) -> asyncio.Event:
        """Note a connection of page ``page_id`` open; the event is set when a newer one of the page asks it to end."""
        ended = asyncio.Event()
        if page_id and PAGE_ID.fullmatch(page_id):
            self._open[page_id] = ended
        return ended

    def closed(self, page_id: str | None, ended: asyncio.Event) -> None:
        """Note that connection (its event ``ended``) closed; call after parking its session."""
        if page_id and self._open.get(page_id) is ended:
            del self._open[page_id]

    def take(self, page_id: str | None) -> CameraSession | None:
        """Page ``page_id``'s parked session (no longer parked), or None."""
        with self._lock:
            gone = self._expired()
            item = self._items.pop(page_id, None) if page_id and PAGE_ID.fullmatch(page_id) else None
        for s in gone:
            s.close()
        return None if item is None else item[1]

    def close_all(self) -> None:
        """Close every parked session (the server stops)."""
        with self._lock:
            gone = [s for _, s in self._items.values()]
            self._items.clear()
        for s in gone:
            s.close()

    def _expired(self) -> list[CameraSession]:
        now = self._now()
        gone = []
        while self._items:
            key, (at, session) = next(iter(self._items.items()))
            if now - at <= self._grace_s and len(self._items) <= self._capacity:
                break
            del self._items[key]
            gone.append(session)
        return gone
