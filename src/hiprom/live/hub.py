"""The hub: fan one stream of messages out to any number of clients without stalling.

The live loop runs in its own thread and calls ``Hub.publish`` (thread-safe);
each client (a WebSocket, an MJPEG response) owns a small bounded queue on the
event loop. When a client is slow its queue is full, and the *oldest* message
is dropped to make room: a slow page shows fewer, but current, frames, and
never holds back the others.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

T = TypeVar("T")

_CLOSED = object()


class Subscription(Generic[T]):
    """One client's bounded queue; iterate it to receive messages."""

    def __init__(self, hub: "Hub[T]", maxsize: int) -> None:
        self._hub = hub
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def offer(self, item: object) -> None:
        """Put ``item``, dropping the oldest queued item when full (event-loop thread only)."""
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                try:
                    self.queue.get_nowait()
                    self.dropped += 1
                except asyncio.QueueEmpty:  # pragma: no cover - raced with the consumer
                    pass

    async def get(self) -> T | None:
        """Next message, or ``None`` once the hub is closed."""
        item = await self.queue.get()
        return None if item is _CLOSED else item  # type: ignore[return-value]

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iter()

    async def _iter(self) -> AsyncIterator[T]:
        while True:
            item = await self.get()
            if item is None:
                return
            yield item

    def close(self) -> None:
        """Stop receiving (the client went away)."""
        self._hub._remove(self)

    def __enter__(self) -> "Subscription[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Hub(Generic[T]):
    """Thread-safe publish, per-client bounded queues on one asyncio loop.

    Args:
        loop: the event loop the clients run on.
        maxsize: messages kept per client before the oldest are dropped.
        keep_last: remember the last message and hand it to new subscribers.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int = 8, keep_last: bool = True) -> None:
        self._loop = loop
        self._maxsize = maxsize
        self._keep_last = keep_last
        self._subs: set[Subscription[T]] = set()
        self._lock = threading.Lock()
        self._last: T | None = None
        self._closed = False

    @property
    def n_clients(self) -> int:
        """Clients subscribed now."""
        with self._lock:
            return len(self._subs)

    @property
    def last(self) -> T | None:
        """The most recent message, if any."""
        return self._last

    def dropped_per_client(self) -> list[int]:
        """Messages each current client has lost to its full queue (slow clients)."""
        with self._lock:
            return sorted(sub.dropped for sub in self._subs)

    def subscribe(self) -> Subscription[T]:
        """A new client queue (call on the event loop)."""
        sub: Subscription[T] = Subscription(self, self._maxsize)
        with self._lock:
            self._subs.add(sub)
        if self._closed:
            sub.offer(_CLOSED)
        elif self._keep_last and self._last is not None:
            sub.offer(self._last)
        return sub

    def _remove(self, sub: Subscription[T]) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, item: T) -> None:
        """Send ``item`` to every client; safe from any thread, never blocks."""
        if self._keep_last:
            self._last = item
        if self._closed or self.n_clients == 0:
            return
        self._call(self._deliver, item)

    def _deliver(self, item: object) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.offer(item)

    def close(self) -> None:
        """Tell every client the stream has ended."""
        self._closed = True
        self._call(self._deliver, _CLOSED)

    def _call(self, fn, item: object) -> None:
        try:
            if _running_loop() is self._loop:
                fn(item)
            else:
                self._loop.call_soon_threadsafe(fn, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
