"""``track_halves``: one long video tracked as two halves at once, one per core.

MediaPipe's landmarker works through a video one frame after another on about
one core (its CPU time per frame is about its wall time), so on a machine with
two cores one video leaves one idle. A video of at least ``SPLIT_MIN_FRAMES``
frames is therefore tracked by two trackers at once: the first half from the
start, the second from ``WARMUP_S`` before the middle, so that its tracking and
smoothing have settled when it reaches the middle frame, where its frames take
over. Over that overlap both trackers see the same frames, and they must agree
before the halves are joined: the same frame times, and the same subject (seen
by both in the overlap, hip midpoints within ``SAME_SUBJECT_FRAME_HEIGHTS`` in
the frames where both see one). Otherwise (say the second half started on
somebody else, or nobody was there to compare) the whole video is tracked again
from the start by one tracker, as a shorter video is.

Where the halves join, the landmarks may differ from one continuous pass by
MediaPipe's tracking noise, well under what the held peaks notice (tested on
a rendered seated test played one and a half times, joined in a held peak).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from hiprom.capture.base import Frame, FrameSource
from hiprom.capture.video import VideoFileSource
from hiprom.landmarks import Landmark
from hiprom.pose.tracker import PoseTracker
from hiprom.recording import TWO_HALVES, LandmarkRecording

SPLIT_MIN_FRAMES = 600
"""Videos with fewer frames (20 s at 30 fps) are tracked in one pass: the second half's warm-up
would be a large share of a short video's work."""
WARMUP_S = 2.0
"""How long before the middle the second half starts (s): MediaPipe's landmark and visibility
smoothing and the tracker's subject choice settle within a second."""
SAME_SUBJECT_FRAME_HEIGHTS = 0.05
"""Largest median distance of the two halves' hip midpoints over the overlap, in frame heights,
for them to be the same person (two seated people are at least a shoulder width apart, 0.2+)."""
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]

Progress = Callable[[int, int | None], None]
_ONE_PASS: ContextVar[bool] = ContextVar("hiprom_one_pass", default=False)


@contextmanager
def one_pass() -> Iterator[None]:
    """Within this block (in this thread), every video is tracked in one pass: a batch's inputs, local
    or on Dask, whose workers keep every core busy with other inputs, where the second half's warm-up and
    landmarkers would be work added, not cores used (+8 to +15% CPU on four 30 s clips, measured); and the
    throughput benchmark's one-pass figure. The recording says which way it was tracked (``tracking``)."""
    token = _ONE_PASS.set(True)
    try:
        yield
    finally:
        _ONE_PASS.reset(token)


def splittable(source: FrameSource) -> bool:
    """Whether ``source`` is tracked as two halves: a video file of at least ``SPLIT_MIN_FRAMES``
    announced frames, outside :func:`one_pass`.

    It depends on the video and the route alone, never on this machine's cores or threads, so that
    ``analyze`` and ``track`` give the same figures on any machine, and a batch (always one pass) the
    same on local workers and on Dask: the halves differ from one pass by MediaPipe's tracking noise
    (a peak's ± by up to 1.1° on a 685-frame test), so a choice made by the machine changed a
    researcher's figures (docs/batch.md#repeatability)."""
    n = source.n_frames
    return not _ONE_PASS.get() and isinstance(source, VideoFileSource) and n is not None and n >= SPLIT_MIN_FRAMES


class _Head(FrameSource):
    """The first ``n`` frames of ``source`` (which stays open: its owner closes it)."""

    def __init__(self, source: FrameSource, n: int) -> None:
        self.source, self.left = source, n
        self.fps, self.size_wh, self.n_frames, self.name = source.fps, source.size_wh, n, source.name
        self.is_live = False
        self.notes: list[str] = []

    def read(self) -> Frame | None:
        if self.left <= 0:
            return None
        self.left -= 1
        return self.source.read()

    def close(self) -> None:
        pass


def _hip_midpoints(rec: LandmarkRecording) -> np.ndarray:
    """(n, 2) hip midpoints in frame heights (NaN where no subject)."""
    return rec.image[:, HIPS, :2].mean(axis=1) * np.array([rec.width / rec.height, 1.0])


def _agree(first: LandmarkRecording, second: LandmarkRecording, start: int) -> bool:
    """Whether ``second`` (tracked from frame ``start``) continues ``first`` over their overlap."""
    overlap = first.n_frames - start
    if overlap <= 0 or second.n_frames <= overlap:
        return False
    if not np.allclose(first.t_ms[start:], second.t_ms[:overlap]):
        return False  # the second reader did not land on the same frames
    a, b = _hip_midpoints(first)[start:], _hip_midpoints(second)[:overlap]
    both = np.isfinite(a[:, 0]) & np.isfinite(b[:, 0])
    if not both.any():
        return False  # nobody to compare: whom the second half would follow is not known
    return float(np.median(np.linalg.norm(a[both] - b[both], axis=1))) <= SAME_SUBJECT_FRAME_HEIGHTS


def _join(first: LandmarkRecording, second: LandmarkRecording, overlap: int, notes: list[str]) -> LandmarkRecording:
    """``first`` followed by ``second`` after its first ``overlap`` frames."""
    def both(name: str) -> np.ndarray:
        return np.concatenate([getattr(first, name), getattr(second, name)[overlap:]])

    return dataclasses.replace(first, tracking=TWO_HALVES, t_ms=both("t_ms"), image=both("image"), world=both("world"),
                               n_people=both("n_people"), notes=tuple(notes))


def track_halves(
    source: VideoFileSource,
    tracker: PoseTracker,
    sequential: Callable[..., LandmarkRecording],
    progress: Progress | None = None,
    *,
    mirrored: bool = False,
) -> LandmarkRecording:
    """``sequential(source, tracker, progress, mirrored=...)`` done as two halves at once.

    ``tracker`` tracks the first half, a second ``PoseTracker`` like it the second
    (see the module docstring); ``progress`` is called, from either thread but never from
    both at once, with the frames done of the whole (:func:`_whole_frames`: every frame either
    half tracks, its warm-up too, advances it alike). The recording is that of one pass
    (``hiprom.pose.track``), with the second reader's notes (a truncated file is noticed
    at its end).
    """
    total = int(source.n_frames or 0)
    middle = total // 2
    start = max(1, middle - round(WARMUP_S * source.fps))
    overlap = middle - start
    lock = threading.Lock()
    done = [0, 0]
    stop = threading.Event()
    failure: list[BaseException] = []  # what ``progress`` raised, in either thread

    def report(half: int) -> Progress:
        def on_frame(k: int, _total: int | None) -> None:
            if stop.is_set():
                raise _Stopped
            with lock:
                done[half] = k
                if progress is not None:
                    try:
                        progress(_whole_frames(done[0] + done[1], total, overlap), total if source.n_frames_exact else None)
                    except BaseException as exc:
                        failure.append(exc)
                        stop.set()
                        raise
        return on_frame

    second: LandmarkRecording | None = None
    second_tracker = PoseTracker(tracker.model_path, tracker.num_poses, tracker.min_confidence)
    with VideoFileSource(source.path) as rest, second_tracker, ThreadPoolExecutor(1, "hiprom-half") as pool:
        rest.skip(start)
        later = pool.submit(sequential, rest, second_tracker, report(1), mirrored=mirrored)
        try:
            first = sequential(_Head(source, middle), tracker, report(0), mirrored=mirrored)
        except BaseException:
            stop.set()
            if failure:
                raise failure[0] from None
            raise
        try:
            second = later.result()
        except Exception:  # noqa: BLE001 - the second reader failed (e.g. fewer frames than announced): one pass instead
            if failure:
                raise failure[0] from None
        notes = [note for note in rest.notes if note not in source.notes]  # the caller adds the source's own
    if second is not None and first.n_frames == middle and _agree(first, second, start):
        return _join(first, second, overlap, notes)
    with VideoFileSource(source.path) as again:
        rec = sequential(again, tracker, progress, mirrored=mirrored)
        return dataclasses.replace(rec, notes=rec.notes + tuple(n for n in again.notes if n not in source.notes))


def _whole_frames(tracked: int, total: int, overlap: int) -> int:
    """The frames of the whole that ``tracked`` frames tracked by both halves amount to.

    Both halves together track ``total + overlap`` frames (the second half's warm-up twice), each
    costing the same: so the whole advances by ``total / (total + overlap)`` a frame tracked, in
    either half, and ends at ``total`` when both have. Counting only the frames past the warm-up
    left a bar still during it, and its time left about twice the real one early on (81 s shown
    with 39.5 s to go at a quarter of an 822-frame 60 fps video).
    """
    return tracked * total // (total + overlap) if total + overlap > 0 else tracked


class _Stopped(Exception):
    """Raised in one half's tracking when the other half has stopped."""
