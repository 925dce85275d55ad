"""Frame feeds: pacing files as if live, dropping stale frames, a camera that goes and comes back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

import hiprom.capture
from hiprom.capture import Frame
from hiprom.errors import SourceError
from hiprom.live.feeds import Feed
from hiprom.source import SourceSpec


class FakeSource:
    """A frame source of ``n`` tiny frames, ``dt_ms`` apart, that may fail after them."""

    def __init__(self, n: int | None, dt_ms: float = 33.3, live: bool = True, fail: bool = False) -> None:
        self.n, self.dt_ms, self.is_live, self.fail = n, dt_ms, live, fail
        self.fps, self.size_wh, self.name = 1000.0 / dt_ms, (8, 6), "fake"
        self.i = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def __iter__(self):
        return self

    def __next__(self) -> Frame:
        if self.n is not None and self.i >= self.n:
            if self.fail:
                raise SourceError("camera 0 stopped giving pictures (unplugged, or taken by another app)")
            raise StopIteration
        if self.is_live:
            time.sleep(self.dt_ms / 1000.0)
        frame = Frame(np.zeros((6, 8, 3), np.uint8), self.i * self.dt_ms, self.i)
        self.i += 1
        return frame


def run_feed(feed: Feed, until, timeout: float = 10.0) -> list:
    """Take items from the feed until ``until(items)``; returns them."""
    items = []
    feed.start()
    deadline = time.monotonic() + timeout
    try:
        while not until(items):
            assert time.monotonic() < deadline, "the feed did not get there in time"
            item = feed.slot.get(timeout=0.1)
            if item is not None:
                items.append(item)
    finally:
        feed.stop()
    return items


def test_an_unplugged_camera_is_reported_retried_and_recovers(monkeypatch):
    opened = []

    def fake_open(spec):
        opened.append(spec)
        if len(opened) == 1:
            return FakeSource(5, fail=True)  # 5 frames, then unplugged
        if len(opened) == 2:
            raise SourceError("camera 0 could not be opened; check that the camera index is right")
        return FakeSource(None)  # plugged back in

    monkeypatch.setattr(hiprom.capture, "open_source", fake_open)
    statuses: list[tuple[str, str, str]] = []
    feed = Feed(SourceSpec.parse("0"), status=lambda *s: statuses.append(s), retry_s=0.1)
    items = run_feed(feed, lambda got: sum(1 for s in statuses if s[0] == "source_open") >= 2 and len(got) >= 8)
    codes = [s[0] for s in statuses]
    assert codes[:4] == ["source_open", "camera_lost", "camera_missing", "source_open"]
    lost = statuses[1]
    assert lost[1] == "error" and "unplugged" in lost[2] and "Trying again" in lost[2]
    t = [i.t_ms for i in items]
    assert all(b > a for a, b in zip(t, t[1:])), "time keeps increasing across the reconnection"
    assert feed.passes >= 2


class GatedSource(FakeSource):
    """A ``FakeSource`` whose second frame waits for ``first_taken``: the reader always gets the first one."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_taken = threading.Event()

    def __next__(self) -> Frame:
        if self.i == 1:
            assert self.first_taken.wait(60), "the reader never took the first frame"
        return super().__next__()


def test_a_file_plays_at_its_own_rate_and_a_slow_reader_gets_only_fresh_frames(monkeypatch):
    """A worker slower than the file (pose inference on a slow machine) gets the newest frame each time, the
    ones in between dropped, not queued; the file is never read faster than its own rate. The reader is slow
    by frames, not by seconds (it comes back once the grabber has left ``slow_by`` more), so a busy machine
    changes nothing: one that slept 150 ms a frame got 3 frames, or frames 100 ms old, when the test's
    threads waited for the CPU."""
    source = GatedSource(31, dt_ms=33.3, live=False)
    monkeypatch.setattr(hiprom.capture, "open_source", lambda spec: source)
    statuses: list[tuple[str, str, str]] = []
    ended = threading.Event()

    def status(*said):
        statuses.append(said)
        if said[0] == "source_ended":
            ended.set()

    feed = Feed(SourceSpec("video", Path("clip.mp4")), status=status, speed=1.0)
    slow_by = 7  # 6 frames taken at most: too few for the slot to judge the reader quick (slot.MIN_SAMPLES)
    got = []

    def slow_reader():
        while not ended.is_set() or len(feed.slot):
            newest_before = feed.slot.grabbed - 1  # the newest frame's index when the reader asks
            item = feed.slot.get(timeout=0.1)
            if item is None:
                continue
            got.append((newest_before, item))
            source.first_taken.set()
            while feed.slot.grabbed < item.index + 1 + slow_by and not ended.wait(0.005):
                pass

    reader = threading.Thread(target=slow_reader)
    reader.start()
    t0 = time.monotonic()
    feed.start()
    assert ended.wait(120), statuses
    elapsed = time.monotonic() - t0
    reader.join(60)
    feed.stop()
    assert not reader.is_alive() and statuses[-1][0] == "source_ended"
    assert elapsed >= 30 * 0.0333  # 1 s of video takes at least 1 s: played at its own rate
    # Each frame taken is the newest one there: never one older than what was there when the reader asked...
    assert got[0][1].index == 0 and len(got) >= 2
    assert all(item.index >= newest_before for newest_before, item in got), [(n, i.index) for n, i in got]
    # ...the ones in between dropped, not queued.
    assert len(got) <= 6 and feed.slot.dropped == 31 - len(got)
    # Each says how far the file's own frames are apart, which the reader cannot see.
    assert all(abs(item.source_gap_ms - 33.3) < 0.01 for _, item in got if item.index > 0)


def test_a_looping_file_starts_again_and_rewind_restarts_it(monkeypatch):
    monkeypatch.setattr(hiprom.capture, "open_source", lambda spec: FakeSource(10, dt_ms=10.0, live=False))
    statuses: list[tuple[str, str, str]] = []
    feed = Feed(SourceSpec("video", Path("clip.mp4")), status=lambda *s: statuses.append(s), loop=True, speed=2.0)
    items = run_feed(feed, lambda got: feed.passes >= 3 and len(got) >= 15)
    # Said once, not at every end: each status is a new line on the page, which a screen reader reads
    # out (it said "ended; playing it again", "Playing clip.mp4" and the reading's line at every loop).
    assert [s[0] for s in statuses] == ["source_open", "source_looped"], statuses
    t = [i.t_ms for i in items]
    assert all(b > a for a, b in zip(t, t[1:]))
    assert {i.index for i in items} <= set(range(10))
