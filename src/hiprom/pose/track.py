"""``track``: run a frame source through a ``PoseTracker`` into a ``LandmarkRecording``.

Decoding runs in a background thread that keeps a few frames ready in a
bounded queue, so the next frame is decoded (OpenCV releases the GIL) while
MediaPipe works on the current one; in a process limited to one thread (a
batch worker) it runs in line instead.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from hiprom.capture.base import Frame, FrameSource
from hiprom.errors import SourceError
from hiprom.pose.tracker import PoseTracker
from hiprom.recording import ONE_PASS, LandmarkRecording, TrackedBy

QUEUE_FRAMES = 4
"""Decoded frames kept ready ahead of the model (memory: a few frames)."""

DECODE_NICENESS = 10
"""Added to the decoding thread's niceness (Linux): decoding runs ahead of the model
with frames to spare, so when both want the same core MediaPipe's threads, the
critical path, should get it first."""

_END = object()


@dataclass(frozen=True)
class _Failure:
    error: BaseException


def _read_ahead() -> bool:
    """Whether to decode in a thread of its own: only when this process may use more than
    one thread (OpenCV's thread budget, which ``batch`` sets to 1 in each of its workers
    when the workers take all the cores). Measured with two such workers on two cores:
    decoding in line cost 24 CPU-ms per frame, a decoding thread 24-29 (switching)."""
    import cv2

    return cv2.getNumThreads() > 1


def _lower_priority(niceness: int) -> None:
    """Make the calling thread nicer by ``niceness`` (Linux, where a thread id names one
    thread for ``setpriority``); elsewhere, or when not allowed, leave it as it is."""
    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except OSError:
        pass


class _Decoder:
    """Reads ``source`` in a daemon thread into a bounded queue; stoppable at any time."""

    def __init__(self, source: FrameSource, depth: int) -> None:
        self.source = source
        self.queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"hiprom-decode {source.name}", daemon=True)

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        _lower_priority(DECODE_NICENESS)
        try:
            for frame in self.source:
                if not self._put(frame):
                    return
            self._put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            self._put(_Failure(exc))

    def __enter__(self) -> _Decoder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():
            try:  # unblock a producer waiting on a full queue
                while True:
                    self.queue.get_nowait()
            except queue.Empty:
                pass
            self.thread.join(0.05)

    def frames(self) -> Iterator[Frame]:
        """The decoded frames, in order; re-raises whatever the decoding thread raised."""
        while True:
            try:  # a timeout keeps Ctrl-C responsive on every platform
                item = self.queue.get(timeout=0.5)
            except queue.Empty:
                if not self.thread.is_alive() and self.queue.empty():
                    raise RuntimeError("the frame reader stopped without saying why") from None
                continue
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]


def track(
    source: FrameSource,
    tracker: PoseTracker,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    mirrored: bool = False,
) -> LandmarkRecording:
    """Pose landmarks of every frame of ``source``.

    Args:
        source: an open frame source (not closed here; its owner closes it).
        tracker: the pose tracker; restarted first if it has seen frames, so
            no state carries over from an earlier source.
        progress: called after each frame with the number of frames done so
            far and the total (``source.n_frames`` when it is exact, ``n_frames_exact``:
            an image folder's, an MP4's or AVI's count; ``None`` when it is only an
            estimate, unknown or live); whatever it raises
            stops tracking and propagates.
        mirrored: record that the picture is left-right flipped (selfie view).

    Returns:
        LandmarkRecording with ``t_ms`` (n,), ``image`` and ``world`` (n, 33, 4)
        (NaN rows where no subject was found), ``n_people`` (n,), the frame
        size, the source's fps (for a live source, the rate actually
        achieved), the model variant and the source name.

    A video file long enough to pay for it, on a machine with cores to spare, is
    tracked as two halves at once (``hiprom.pose.split``): the same frames and
    times, the landmarks after the middle within MediaPipe's tracking noise.

    Raises:
        SourceError: the source gave no frame, or failed while being read.
    """
    from hiprom.pose.split import splittable, track_halves

    if splittable(source):
        return track_halves(source, tracker, _track_one, progress, mirrored=mirrored)  # type: ignore[arg-type]
    return _track_one(source, tracker, progress, mirrored=mirrored)


def _track_one(
    source: FrameSource,
    tracker: PoseTracker,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    mirrored: bool = False,
) -> LandmarkRecording:
    """``track`` in one pass, frame after frame."""
    tracker.restart()
    total = source.n_frames if source.n_frames_exact and not source.is_live else None
    t_ms: list[float] = []
    image: list[np.ndarray] = []
    world: list[np.ndarray] = []
    people: list[int] = []
    with contextlib.ExitStack() as stack:
        frames = stack.enter_context(_Decoder(source, QUEUE_FRAMES)).frames() if _read_ahead() else iter(source)
        for frame in frames:
            result = tracker.process(frame.image, frame.t_ms)
            t_ms.append(frame.t_ms)
            image.append(result.image)
            world.append(result.world)
            people.append(result.n_people)
            if progress is not None:
                progress(len(t_ms), total)
    if not t_ms:
        raise SourceError(f"{source.name}: gave no frames; check that it is not empty")
    fps = float(source.fps)
    if source.is_live and len(t_ms) > 1 and t_ms[-1] > t_ms[0]:
        fps = (len(t_ms) - 1) * 1000.0 / (t_ms[-1] - t_ms[0])
    width, height = source.size_wh
    # float32 as in the saved file, so a recording analysed straight away and
    # one loaded back from disk give the very same numbers.
    return LandmarkRecording(
        t_ms=np.asarray(t_ms, dtype=np.float64),
        image=np.stack(image).astype(np.float32),
        world=np.stack(world).astype(np.float32),
        width=int(width),
        height=int(height),
        fps=fps,
        mirrored=bool(mirrored),
        n_people=np.asarray(people, dtype=np.int64),
        model=tracker.model_name,
        source=source.name,
        model_sha256=tracker.model_sha256,
        software=tracking_software(),
        tracking=ONE_PASS,
    )


def tracking_software() -> dict[str, str]:
    """The versions of the libraries that decode frames and find the pose: a recording's ``software``."""
    import cv2
    from importlib.metadata import PackageNotFoundError, version

    try:
        mediapipe = version("mediapipe")
    except PackageNotFoundError:
        mediapipe = "unknown"
    return {"mediapipe": mediapipe, "opencv": cv2.__version__}


def tracked_by(tracker: PoseTracker) -> TrackedBy:
    """What a tracker's landmarks are made by, frame after frame (:data:`ONE_PASS`): a camera's, the live page's."""
    return TrackedBy(tracker.model_name, tracker.model_sha256, tracking_software(), ONE_PASS)

