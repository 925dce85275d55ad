"""Browser-camera measurers kept for a short while after their page's connection ended: a reload keeps its test.

On this device's camera the guided test lives on the page's connection (``/ws/camera``): a reload (F5, a
tablet's pull-down, confirmed at the browser's "Leave site?") closed it and the test was gone, while the
server camera's test outlived any page. Each tab names itself (``?tab=``, a random id kept in its
``sessionStorage``, which a reload keeps and another tab does not share); when its connection ends, its
measurer (pose tracker, guide, counted exercise) is parked here for :data:`GRACE_S` seconds, and a connection
of the same tab in that time takes it back, the test where it was. One not taken back is closed.

A parked measurer still counts as one of the server's browser cameras (it holds a model) until closed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

GRACE_S = 30.0
"""Seconds a page's measurer is kept after its connection ends: a reload takes a few."""
TAB_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
"""A tab's id as the page makes it (random, 128 bits as 22-32 characters); anything else parks nothing."""


@dataclass
class Parked:
    """One tab's measurer, between its connections."""

    proc: Any  # hiprom.live.processor.LiveProcessor
    executor: ThreadPoolExecutor
    last_t_ms: float
    """The last picture's time on the tracker's clock (ms): the next must come after it."""
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)


class Parking:
    """The parked measurers of one app, by tab id; ``close(parked)`` ends one not taken back in time."""

    def __init__(self, close: Callable[[Parked], None], grace_s: float = GRACE_S) -> None:
        self._close = close
        self._grace_s = grace_s
        self._parked: dict[str, Parked] = {}

    @staticmethod
    def tab_of(value: str | None) -> str | None:
        """The tab id of a connection's ``?tab=``, or None when there is none or it is not one."""
        return value if value and TAB_ID.fullmatch(value) else None

    def take(self, tab: str | None) -> Parked | None:
        """The measurer parked for ``tab``, now this connection's (None when there is none)."""
        parked = self._parked.pop(tab, None) if tab else None
        if parked is not None and parked.expiry is not None:
            parked.expiry.cancel()
        return parked

    def park(self, tab: str, parked: Parked) -> None:
        """Keep ``parked`` for ``tab`` for the grace period (one parked before for it is closed)."""
        earlier = self.take(tab)
        if earlier is not None:
            self._close(earlier)
        parked.expiry = asyncio.get_running_loop().call_later(self._grace_s, self._expire, tab, parked)
        self._parked[tab] = parked

    def _expire(self, tab: str, parked: Parked) -> None:
        if self._parked.get(tab) is parked:
            del self._parked[tab]
            self._close(parked)

    def close_all(self) -> None:
        """Close every parked measurer (the server is stopping)."""
        for tab in list(self._parked):
            parked = self.take(tab)
            if parked is not None:
                self._close(parked)
