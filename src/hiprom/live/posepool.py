"""The live loop's pose stage: frames from the ``FrameSlot`` posed by one or two threads, handed on in capture order.

MediaPipe's landmarker runs a frame on about one core (its CPU time per frame
is its wall time), so on a machine slower than the camera one pose thread
keeps only some of the frames (about 20 of 30 a second here), and a frame
waits on average half an inference before it is taken. With two cores,
:class:`PosePool` runs two pose threads, each with its own ``PoseTracker``:
the first takes every frame that comes while it is free, the second the
frames that come while the first is busy. A machine that keeps up with one
thread therefore works as before (one tracker on every frame); a slower one
poses about every other frame in each thread, about twice the frames a
second, and a frame is taken as it arrives. Their
results go on strictly in the order the frames left the slot (capture order):
a later frame posed first waits for the earlier one, and no frame is handed on
twice. The loop's one sequential stage (meter, guide, messages) takes them
with :meth:`PosePool.get`.

Both trackers follow one person: for each pass of the source they share one
``Scene`` (``PoseTracker.restart(scene=)``): one ``SubjectFollower``, so that
each takes as the subject only the pose nearest where either last saw him,
within the follower's gate, never somebody else. Each looks for other people
on its own (two looks a second between them), and both report the most people
either saw at its latest frame, so the count does not flicker with which
tracker had the frame.

With one core (or for landmark recordings, which need no model) there is no
thread: :meth:`PosePool.get` takes the next frame and poses it in the
caller's thread, as the live loop always did.

Two pose threads help only when the process really gets two cores. A busy
machine that gives each session an equal share of the CPU may give it less
than one, whatever its threads: the two then share it, each inference takes
about twice as long, and the second thread only delays the first. So while
both are busy the pool watches the cores the process gets; below
``SECOND_CORE_MIN`` the second thread stands down for ``STAND_DOWN_S``, then
tries again.

Each tracker is restarted, in its own thread, at the first frame of a new
pass of the source (loop, rewind, camera back); frames of the old pass still
being posed are handed on in order, and the sequential stage drops those it
no longer wants (``LiveEngine``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from hiprom.cores import available_cores
from hiprom.live.feeds import FeedItem
from hiprom.live.processor import close_quietly
from hiprom.live.slot import FrameSlot
from hiprom.recording import TrackedBy

log = logging.getLogger("hiprom.live")

TrackerFactory = Callable[[], Any]
"""Builds one ``PoseTracker`` (``LiveConfig.tracker_factory()``)."""

SECOND_CORE_MIN = 1.4
"""Cores the process must get (its CPU time over wall time, grabber and worker included) while
both pose threads are busy for the second one to go on: one pose thread with the grabber and the
worker takes about 1.2 cores at 30 fps (inference 1, decoding 0.15, kernel and guide 0.1), so less
than 1.4 means the second thread is not getting a core of its own. A busy machine that gives each
session an equal share (Linux's autogroups) gave this process about half a core whatever its
threads, and two pose threads then doubled the latency (docs/throughput.md)."""
CHECK_EVERY_S = 1.0
"""How often the cores the process gets are looked at (s)..."""
BOTH_BUSY_SHARE = 0.5
"""...when both pose threads were busy at least this share of that time."""
STAND_DOWN_S = 20.0
"""How long the second pose thread then takes no frames, before it tries again (s)."""


def pose_threads(cores: int | None = None) -> int:
    """Pose threads of the live loop on a machine of ``cores`` cores (default: this process's):
    two from two cores on, else one (then the frames are posed in the loop's own thread)."""
    return 2 if (available_cores() if cores is None else cores) >= 2 else 1


@dataclass(frozen=True)
class Posed:
    """One frame out of the pose stage.

    Attributes:
        item: the frame as the feed gave it.
        image (np.ndarray | None): (33, 4) the subject's image landmarks (see ``PoseResult``),
            NaN rows when nobody was found; None when the frame was not posed (a landmark
            recording, no model, or ``error``).
        world (np.ndarray | None): (33, 4) world landmarks, likewise.
        n_people: people in view (-1 when not posed).
        pose_ms: time the pose took, ms (0 when not posed).
        error: what posing this frame raised, for the sequential stage to report; else None.
    """

    item: FeedItem
    image: np.ndarray | None = None
    world: np.ndarray | None = None
    n_people: int = -1
    pose_ms: float = 0.0
    error: Exception | None = None


class _Poser:
    """One tracker and the pass of the source it last saw (used from one thread only)."""

    def __init__(self, factory: TrackerFactory, scene_for: Callable[[int], Any] | None) -> None:
        self._factory = factory
        self._scene_for = scene_for
        self.tracker: Any = None
        self._pass = 0

    def load(self) -> None:
        self.tracker = self._factory()

    def pose(self, item: FeedItem) -> Posed:
        """``item`` posed (never raises: an error travels in the result)."""
        if item.image_rgb is None or self.tracker is None:
            return Posed(item)
        t0 = time.monotonic()
        try:
            if item.pass_index != self._pass:
                # A new pass: fresh tracking, and the subject chosen afresh, once for all the trackers.
                scene = self._scene_for(item.pass_index) if self._scene_for is not None else None
                self.tracker.restart(scene)
                self._pass = item.pass_index
            result = self.tracker.process(item.image_rgb, item.t_ms, item.source_gap_ms)
        except Exception as exc:  # noqa: BLE001 - reported by the sequential stage, in its turn
            return Posed(item, error=exc)
        image, world = np.asarray(result.image, dtype=float), np.asarray(result.world, dtype=float)
        return Posed(item, image, world, int(result.n_people), (time.monotonic() - t0) * 1000.0)

    def close(self) -> None:
        tracker, self.tracker = self.tracker, None
        close_quietly(tracker)


class PosePool:
    """Frames of ``slot`` posed by ``threads`` threads, handed on in capture order.

    Args:
        slot: where the feed leaves its frames (made for ``threads`` takers).
        tracker_factory: builds one pose tracker; None when the frames carry landmarks.
        threads: pose threads (``pose_threads()``); 1: posed in the caller's thread.
        cpu_clock: the process's CPU time in seconds (what ``SECOND_CORE_MIN`` is measured with).
    """

    def __init__(
        self,
        slot: FrameSlot[FeedItem],
        tracker_factory: TrackerFactory | None,
        threads: int = 1,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, but got {threads}")
        self.slot = slot
        self._factory = tracker_factory
        self._threads_wanted = threads if tracker_factory is not None else 1
        self._stop = threading.Event()
        self._go = threading.Event()  # every thread's tracker loaded: start taking frames
        self._threads: list[threading.Thread] = []
        self._posers: list[_Poser] = []
        self._cond = threading.Condition()
        self._done: dict[int, Posed] = {}  # hand-out number -> posed frame, waiting for its turn
        self._next = 0  # hand-out number of the next frame to hand on
        self._cpu_clock = cpu_clock
        self._posing = 0  # frames being posed now
        self._changed_at = time.monotonic()  # when _posing last changed
        self._both_s = 0.0  # s of the current window with two frames being posed
        self._window = (time.monotonic(), cpu_clock())  # (wall, CPU) s at the start of the window
        self._second_back_at = 0.0  # monotonic s: the second thread takes no frames until then
        self._scene_lock = threading.Lock()
        self._scene: Any = None
        self._scene_pass = 0
        self.made_by: TrackedBy | None = None  # what makes the landmarks, once the model is loaded

    @property
    def threads(self) -> int:
        """Pose threads running (0: frames are posed in the caller's thread)."""
        return len(self._threads)

    def start(self) -> None:
        """Load the pose model, once per thread, in the thread that uses it (raises ``HipromError``,
        e.g. ``ModelError``, when it cannot be had: then no frame is posed, and ``get`` hands
        frames on without landmarks)."""
        if self._factory is None:
            return
        from hiprom.pose.track import tracked_by  # imported here: MediaPipe only when pictures come

        if self._threads_wanted == 1:
            poser = _Poser(self._factory, None)
            poser.load()
            self._posers = [poser]
            self.made_by = tracked_by(poser.tracker)
            return
        posers = [_Poser(self._factory, self._scene_for) for _ in range(self._threads_wanted)]
        loaded = [threading.Event() for _ in posers]
        errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._run, args=(poser, i, ready, errors), name=f"hiprom-pose-{i}", daemon=True)
            for i, (poser, ready) in enumerate(zip(posers, loaded))
        ]
        for thread in self._threads:
            thread.start()
        for ready in loaded:
            ready.wait()
        if errors:
            self.close()
            raise errors[0]
        self._posers = posers
        self.made_by = tracked_by(posers[0].tracker)
        self._go.set()

    def _scene_for(self, pass_index: int) -> Any:
        """The one ``Scene`` of pass ``pass_index``, shared by the pose threads."""
        from hiprom.pose.subject import Scene

        with self._scene_lock:
            if pass_index > self._scene_pass:
                self._scene, self._scene_pass = Scene(), pass_index
            elif pass_index < self._scene_pass:  # a frame of a pass the others have left
                return Scene()
            return self._scene

    def _run(self, poser: _Poser, rank: int, loaded: threading.Event, errors: list[BaseException]) -> None:
        """One pose thread: load its tracker, then pose the frames it takes until stopped (``rank``:
        the slot gives it a frame only while the threads before it are busy)."""
        try:
            try:
                poser.load()
            except BaseException as exc:  # noqa: BLE001 - handed to start()
                errors.append(exc)
                return
            finally:
                loaded.set()
            while not self._go.wait(0.1):
                if self._stop.is_set():
                    return
            while not self._stop.is_set():
                if rank > 0 and self.standing_down:
                    self._stop.wait(0.1)
                    continue
                taken = self.slot.take(timeout=0.1, rank=rank)
                if taken is None:
                    continue
                number, item = taken
                with self._cond:
                    self._posing_changed(+1)
                posed = poser.pose(item)
                with self._cond:
                    self._posing_changed(-1)
                    self._done[number] = posed
                    self._cond.notify_all()
        finally:
            poser.close()

    @property
    def standing_down(self) -> bool:
        """Whether the second pose thread takes no frames now (see ``SECOND_CORE_MIN``)."""
        return time.monotonic() < self._second_back_at

    def _posing_changed(self, delta: int) -> None:
        """One more (+1) or one less (-1) frame being posed; once a window is over, whether the
        second thread gets a core of its own (callers hold ``_cond``)."""
        now = time.monotonic()
        if self._posing >= 2:
            self._both_s += now - self._changed_at
        self._posing += delta
        self._changed_at = now
        wall0, cpu0 = self._window
        if now - wall0 < CHECK_EVERY_S:
            return
        cpu = self._cpu_clock()
        cores = (cpu - cpu0) / (now - wall0)
        if self._both_s >= BOTH_BUSY_SHARE * (now - wall0) and cores < SECOND_CORE_MIN:
            log.info("the second pose thread gets no core of its own (the process got %.2f cores with both "
                     "busy): one pose thread for the next %g s", cores, STAND_DOWN_S)
            self._second_back_at = now + STAND_DOWN_S
        self._window, self._both_s = (now, cpu), 0.0
        self.slot.takers = 1 if self.standing_down else self._threads_wanted  # the slot's backlog rule

    @property
    def pending(self) -> bool:
        """Whether frames put in the slot have yet to come out of :meth:`get` (waiting or being posed)."""
        if len(self.slot) > 0:
            return True
        with self._cond:
            return bool(self._threads) and self.slot.handed > self._next  # taken by a pose thread, not yet handed on

    def get(self, timeout: float) -> Posed | None:
        """The next frame in capture order, posed, waiting up to ``timeout`` s; None if none is ready."""
        if not self._threads:
            item = self.slot.get(timeout)
            if item is None:
                return None
            return self._posers[0].pose(item) if self._posers else Posed(item)
        with self._cond:
            if not self._cond.wait_for(lambda: self._next in self._done, timeout):
                return None
            self._next += 1
            return self._done.pop(self._next - 1)

    def close(self) -> None:
        """Stop and join the pose threads; each closes its tracker (the caller's thread closes an
        inline one). Safe to call more than once."""
        self._stop.set()
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(10.0)
        if not threads:
            for poser in self._posers:
                poser.close()
        self._posers = []

