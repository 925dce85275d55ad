"""Frame feeds for the live loop: camera, video file or landmark recording.

A feed runs a *grabber* thread that reads its source as if live and leaves
its frames in a ``FrameSlot`` (:mod:`hiprom.live.slot`). When pose inference is
slower than the source, the worker takes the newest frame and stale ones are
dropped instead of queueing up: the page always shows what is happening now.
When it keeps up with room to spare, the frames that arrive during one slow
inference wait for it (at most 0.25 s) and none is lost.

- Cameras pace themselves; when one is missing or unplugged the grabber says
  so and tries again every ``retry_s`` until it comes back.
- Video files and recordings are paced by their own timestamps (``speed``
  times real time); at the end they stop with a message, or start over with
  ``loop``.
- Recordings carry landmarks, not pictures, so they need no model (demo mode).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from hiprom.errors import HipromError, SourceError
from hiprom.live.slot import FrameSlot
from hiprom.recording import LandmarkRecording, TrackedBy
from hiprom.source import SourceSpec

log = logging.getLogger("hiprom.live")

StatusFn = Callable[[str, str, str], None]
"""``status(code, level, text)``: level is ``ok``, ``info``, ``warn`` or ``error``."""


@dataclass(frozen=True)
class FeedItem:
    """One frame from a feed.

    Attributes:
        t_ms: time of the frame in ms, strictly increasing across loops and rewinds.
        index: frame number within the current pass of the source.
        captured_unix_ms: wall-clock ms when it was grabbed (for latency figures).
        size_wh: frame (width, height) in pixels.
        image_rgb: (h, w, 3) uint8 RGB picture, or None for a recording.
        landmarks: (image (33, 4), world (33, 4)) for a recording, else None.
        n_people: people seen (recordings only; -1 when unknown).
        source_gap_ms: ms since the source's previous frame (None for the first one), which the
            worker may not have seen: the pose tracker tells a slow source by it.
        pass_index: which pass of the source the frame belongs to (``Feed.passes`` then: 1, 2...;
            a loop, a rewind and a camera that came back each start a pass).
    """

    t_ms: float
    index: int
    captured_unix_ms: float
    size_wh: tuple[int, int]
    image_rgb: np.ndarray | None = None
    landmarks: tuple[np.ndarray, np.ndarray] | None = None
    n_people: int = -1
    source_gap_ms: float | None = None
    pass_index: int = 0


class Feed:
    """A source read by a background thread into a ``FrameSlot``.

    Args:
        spec: what to read.
        status: called on every change of state (opened, missing, ended...).
        loop: start again when a file or recording ends.
        speed: play files and recordings this many times faster than real time.
        retry_s: wait between attempts to open a camera.
        demo: builds the demo recording (for ``spec.kind == "demo"``).
        takers: threads that take the frames from ``slot`` in turn (see ``FrameSlot``).
    """

    def __init__(
        self,
        spec: SourceSpec,
        status: StatusFn,
        loop: bool = False,
        speed: float = 1.0,
        retry_s: float = 2.0,
        demo: Callable[[], LandmarkRecording] | None = None,
        takers: int = 1,
    ) -> None:
        self.spec = spec
        self.slot: FrameSlot[FeedItem] = FrameSlot(takers)
        self._status = status
        self._loop = loop
        self._speed = speed
        self._retry_s = retry_s
        self._demo = demo
        self._stop = threading.Event()
        self._rewind = threading.Event()
        self._thread: threading.Thread | None = None
        self._t_next_ms = 0.0  # first timestamp allowed for the next frame
        self._t_base_ms = 0.0  # feed time of the current pass's first frame
        self._last_t_ms = -1.0
        self.fps: float = 0.0
        self.size_wh: tuple[int, int] | None = None
        self.has_video = not spec.is_recording
        self.mirrored: bool | None = None  # a recording's own flag, once opened
        self.made_by: TrackedBy | None = None  # what made a recording's landmarks, once opened
        self.passes = 0  # how many times the source was (re)started

    # -- control -----------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hiprom-grabber", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def rewind(self) -> None:
        """Start a file or recording again from its first frame (no-op for cameras)."""
        if self.spec.kind != "camera":
            self._rewind.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # -- the grabber thread ------------------------------------------------
    def _run(self) -> None:
        # A pass that a loop or a rewind started was said to have started: its opening is no news, and a
        # page's status line (a screen reader's live region) says nothing twice per pass.
        restarted = False
        looped_before = False
        try:
            while not self._stop.is_set():
                self._rewind.clear()
                try:
                    frames = self._open(say=not restarted)
                except SourceError as exc:
                    if self.spec.kind == "camera":
                        self._say("camera_missing", "error",
                                  f"{str(exc).rstrip('.')}. Trying again every {self._retry_s:g} s.")
                        self._stop.wait(self._retry_s)
                        continue
                    self._say("source_error", "error", str(exc))
                    return
                except HipromError as exc:
                    self._say("source_error", "error", str(exc))
                    return
                self.passes += 1
                restarted = False
                failed = self._pump(frames)
                if self._stop.is_set():
                    return
                if self._rewind.is_set():
                    self._say("rewind", "info", f"Playing {self.spec.label} from the start.")
                    restarted = True
                    continue
                if self.spec.kind == "camera":
                    why = f" ({failed})" if failed else ""
                    self._say(
                        "camera_lost",
                        "error",
                        f"{self.spec.label} stopped sending pictures{why}: is it unplugged? "
                        f"Trying again every {self._retry_s:g} s.",
                    )
                    self._stop.wait(self._retry_s)
                    continue
                if failed:
                    self._say("source_error", "error", failed)
                    return
                if self._loop:
                    if not looped_before:  # the first end only: every later one would say the same again
                        self._say("source_looped", "info", f"{self.spec.label} ended; playing it again, and at every end.")
                    looped_before = restarted = True
                    continue
                self._say(
                    "source_ended",
                    "warn",
                    f"{self.spec.label} has ended. Start the guided test to play it again, "
                    "or restart the server with --loop.",
                )
                # Wait for a rewind (the guided test restarting it) or for shutdown.
                while not self._stop.is_set() and not self._rewind.is_set():
                    self._rewind.wait(0.2)
        except Exception:  # pragma: no cover - a bug; keep the server alive and say so
            log.exception("frame grabber crashed")
            self._say("source_error", "error", "The frame reader stopped because of an internal error; see the log.")

    def _say(self, code: str, level: str, text: str) -> None:
        self._status(code, level, text)

    def _open(self, say: bool = True) -> Iterator[FeedItem]:
        """The source's items, opened; ``say``: report it open (not when a loop or rewind just said so)."""
        kind = self.spec.kind
        if self.spec.is_recording:
            rec = self._demo() if kind == "demo" and self._demo else LandmarkRecording.load(self.spec.value)
            self.fps = float(rec.fps)
            self.size_wh = rec.size_wh
            self.mirrored = bool(rec.mirrored)
            self.made_by = TrackedBy.of(rec)
            if say:
                self._say("source_open", "ok", f"Replaying {self.spec.label} ({rec.n_frames} frames, {rec.fps:g} fps).")
            return self._recording_items(rec)
        from hiprom.capture import open_source  # imported here: OpenCV is only needed for pictures

        source = open_source(self.spec.value)
        self.fps = float(source.fps or 0.0)
        self.size_wh = (int(source.size_wh[0]), int(source.size_wh[1]))
        what = "Camera" if kind == "camera" else "Playing"
        if say:
            self._say("source_open", "ok", f"{what} {self.spec.label} ({self.fps:g} fps).")
        return self._video_items(source)

    def _stamp(self, t_rel_ms: float) -> tuple[float, float | None]:
        """Map a source time to the feed's strictly increasing clock: (t_ms, ms since the previous frame)."""
        t = self._t_base_ms + t_rel_ms
        if t <= self._last_t_ms:
            t = self._last_t_ms + 1e-3
        gap = t - self._last_t_ms if self._last_t_ms >= 0.0 else None
        self._last_t_ms = t
        return t, gap

    def _paced(self, pairs: Iterator[tuple[float, object]], live: bool) -> Iterator[tuple[float, object]]:
        """Yield (t_rel_ms, payload), sleeping so files play at their own rate."""
        t0_wall: float | None = None
        t_first: float | None = None
        for t_ms, payload in pairs:
            if self._stop.is_set() or self._rewind.is_set():
                return
            if t_first is None:
                t_first = t_ms
            if not live:
                due = (t_ms - t_first) / 1000.0 / self._speed
                if t0_wall is None:
                    t0_wall = time.monotonic()
                delay = t0_wall + due - time.monotonic()
                if delay > 0 and self._stop.wait(delay):
                    return
                if self._rewind.is_set():
                    return
            yield t_ms - t_first, payload

    def _begin_pass(self, frame_ms: float) -> None:
        self._t_base_ms = max(self._t_next_ms, self._last_t_ms + frame_ms)

    def _recording_items(self, rec: LandmarkRecording) -> Iterator[FeedItem]:
        frame_ms = 1000.0 / rec.fps if rec.fps > 0 else 33.3
        self._begin_pass(frame_ms)
        pairs = ((float(rec.t_ms[i]), i) for i in range(rec.n_frames))
        for t_rel, i in self._paced(pairs, live=False):
            t_ms, gap_ms = self._stamp(t_rel)
            yield FeedItem(
                t_ms=t_ms,
                index=int(i),
                captured_unix_ms=time.time() * 1000.0,
                size_wh=rec.size_wh,
                landmarks=(rec.image[i], rec.world[i]),
                n_people=int(rec.n_people[i]),
                source_gap_ms=gap_ms,
                pass_index=self.passes,
            )
        self._t_next_ms = self._last_t_ms + frame_ms

    def _video_items(self, source) -> Iterator[FeedItem]:
        frame_ms = 1000.0 / self.fps if self.fps > 0 else 33.3
        self._begin_pass(frame_ms)
        with source:
            live = bool(getattr(source, "is_live", self.spec.kind == "camera"))
            pairs = ((float(f.t_ms), f) for f in source)
            for t_rel, frame in self._paced(pairs, live=live):
                h, w = frame.image.shape[:2]
                t_ms, gap_ms = self._stamp(t_rel)
                yield FeedItem(
                    t_ms=t_ms,
                    index=int(frame.index),
                    captured_unix_ms=time.time() * 1000.0,
                    size_wh=(int(w), int(h)),
                    image_rgb=frame.image,
                    source_gap_ms=gap_ms,
                    pass_index=self.passes,
                )
        self._t_next_ms = self._last_t_ms + frame_ms

    def _pump(self, items: Iterator[FeedItem]) -> str | None:
        """Move items into the slot until the source ends; returns an error text or None."""
        try:
            for item in items:
                self.size_wh = item.size_wh
                self.slot.put(item)
        except HipromError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - OpenCV can raise anything on an unplugged device
            log.warning("reading %s failed: %s", self.spec.label, exc)
            return f"{type(exc).__name__}: {exc}"
        return None
