"""``PoseTracker``: MediaPipe's PoseLandmarker (VIDEO mode) following one subject.

Speed and the one-subject promise come from two one-person landmarkers:

- the *main* one sees every frame. With ``num_poses=1`` MediaPipe tracks
  the person from the previous frame's landmarks and runs its person
  detector only when it has lost them, which makes it about 1.5x faster
  than asking for two people (then the detector runs on every frame in
  which fewer than two are tracked);
- the *side* one looks for anybody else in the frame with the main pose's
  box blacked out: once a second (``LOOK_EVERY_MS``, at least
  ``LOOK_MIN_FRAMES`` apart), every two seconds once nobody else has been
  seen for ``ALONE_AFTER_MS`` (``LOOK_ALONE_EVERY_MS``); every ``LOOK_EVENT_MS`` for a second after
  it lost the person it had (the detector often misses a moving person)
  and when the main one finds the subject again; and on every frame while
  the main one is on somebody else (having lost the subject, its detector
  took the most confident person in view).

On slow sources (frames ``REDETECT_SLOW_FRAME_MS`` or more apart, 20 fps or
slower) the main one's tracking can lock onto a wrong reading of the body:
it crops each frame where its own previous landmarks put the body, so a
wrong pose (on an untextured figure, straight legs with half-seen knees)
keeps itself. When the subject's knees are in the frame but seen below
``REDETECT_KNEE_VISIBILITY``, the side landmarker, tracking nobody, sees the
whole frame at most every ``REDETECT_EVERY_MS``: its person detector gives a
fresh crop, and when that pose is the subject with better-seen knees the two
landmarkers swap. MediaPipe's VIDEO mode also smooths the landmarks and
their visibility over time, so even a fresh crop starts from the wrong
reading's history: on such a frame the subject is also read from that frame
alone (IMAGE mode: no tracking, no smoothing; ``still_reads_done``), with its
brightness equalized (``prepare.equalized``), and that pose is taken when it
sees the worse knee better. A frame of a slow source in which nobody who could be the subject was
found (the main landmarker lost, the side one's look, if any, on somebody else) is read alone as well,
its noise smoothed first (``prepare.smoothed_equalized``: a dark, noisy picture of an untextured figure
was found in 30 % of its frames): that pose is taken when the subject follower takes it for the subject
chosen before. Such a read never chooses the subject: read so, an empty room (5 fps) showed somebody in
some of its frames. At 30 fps nothing of this runs, also when a live
worker falls behind the camera for a while and sees only every second or
third frame (it passes the source's own gaps, ``process(source_gap_ms=)``).

``SubjectFollower`` chooses the subject among the poses of a frame. When the
main landmarker has moved to another person (after losing the subject, its
detector takes the most confident person in view) and the side one finds
the subject, the two swap roles, so the subject is tracked again at once.
``n_people`` is refreshed at every look and held in between.

Whom to follow is part of a ``Scene`` (``subject.py``): each tracker has its
own, and trackers that take turns on one stream's frames (the live loop's two
pose threads, ``live/posepool.py``) share one (``restart(scene=)``), so that
they follow one person; each looks for other people on its own, and each
reports the most people either of them sees at its latest frame.

MediaPipe is imported only here, and only when a tracker is built, so the
rest of hiprom (and ``hiprom --help``) does not pay for it; and without its
drawing and microphone helpers (``mediapipe_import``).
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from hiprom.errors import ModelError
from hiprom.landmarks import N_LANDMARKS, Landmark
from hiprom.native_stderr import native_stderr_silenced
from hiprom.pose.mediapipe_import import import_mediapipe
from hiprom.pose.models import model_id, model_name, model_sha256_of, resolve_model
from hiprom.pose.prepare import equalized, pose_input, smoothed_equalized
from hiprom.pose.subject import Geometry, Scene, count_people, geometry, same_person

LOOK_EVERY_MS = 1000.0
"""Time between two looks for other people while the subject is tracked (ms).

The cost: one look (MediaPipe's person detector on a masked frame, about
0.8 of an inference) per this many ms, about 3% at 30 fps; the benefit:
someone who walks in is counted in ``n_people`` (the guide's one-person
check) at the first look at which the detector finds them."""
ALONE_AFTER_MS = 10_000.0
"""Time with nobody else seen (at any look) after which the looks slow down (ms)..."""
LOOK_ALONE_EVERY_MS = 2000.0
"""...to one per this many ms. A look costs about 0.8 of an inference (measured on a
1280x720 clip: 8 ms against 10), so on a long recording of one person this halves
their cost (about 1.3 % of the frame budget at 30 fps); in exchange someone who walks
in after ten seconds alone is counted up to one second later than at the usual rate."""
LOOK_MIN_FRAMES = 10
"""...and at least this many frames between two such looks, so that a video at
a low frame rate pays at most one look per ten frames."""
LOOK_EVENT_MS = 100.0
"""Shortest time between two looks made on events (ms), however often the subject flickers in and out."""
REDETECT_SLOW_FRAME_MS = 50.0
"""Re-detections run only on sources whose frames are this many ms apart or more (median of the
last few gaps). gt06 (the grey figure) and its 6 variants lose 11 of 28 held peaks at 10 fps
with tracking (4 with MediaPipe's detector on every frame); played at 12, 15 and 20 fps
(4 variants each) 6 of 48, with re-detections 2. At 30 fps (each frame shown 3 times) the
tracking mostly recovers by itself (4 of 20 lost, 2 with re-detections), and a re-detection every
300 ms while the knees are poorly seen cost +16 % CPU on a 30 fps stand-and-walk clip: not there."""
REDETECT_EVERY_MS = 300.0
"""Shortest time between two re-detections (ms). A fresh detection of the grey figure is itself
wrong about half the time, so it takes a few tries: over gt06's variants 100 and 300 ms left 1-2
held peaks missing, 1000 ms 6 (and backing off to 1.2 or 2.4 s after a try that did not help, 3 and
10)."""
REDETECT_KNEE_VISIBILITY = 0.7
"""Re-detect when the subject's worse-seen knee is below this visibility. Tracked wrong poses of
gt06's variants see the knees at 0.3-0.7 (mean per run), right ones at 0.77-0.99; the textured clips
(gt01, gt10, gt11, all variants) never go below 0.9. 0.6, 0.7, 0.8 and 0.9 gave the same gt06 figures."""
KNEES = np.array([Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE])
BLANK_RGB = np.zeros((32, 32, 3), dtype=np.uint8)
"""Shown to the side landmarker to make it drop a person it tracks (its detector then runs on the next frame)."""
MASK_MARGIN = 0.1
"""Margin around the main pose's box, in body sizes, blacked out for the side landmarker."""


def _nan_rows() -> np.ndarray:
    """(33, 4) of NaN: the landmarks of a frame without the subject."""
    return np.full((N_LANDMARKS, 4), np.nan)


@dataclass(frozen=True)
class PoseResult:
    """The subject's pose in one frame.

    Attributes:
        image (np.ndarray): (33, 4) x, y normalised to the frame width and
            height (origin top-left, y down), z relative depth, visibility
            0-1; all NaN when no subject was found.
        world (np.ndarray): (33, 4) x, y, z in metres from the hip midpoint
            (camera axes: x right, y down, z away), visibility 0-1; NaN likewise.
        n_people (int): distinct people the model saw in the frame (the
            subject included; a person detected twice counts once).
    """

    image: np.ndarray
    world: np.ndarray
    n_people: int

    def __post_init__(self) -> None:
        for name in ("image", "world"):
            arr = getattr(self, name)
            if arr.shape != (N_LANDMARKS, 4):
                raise ValueError(f"{name} must have shape ({N_LANDMARKS}, 4), but got shape {arr.shape}")

    @property
    def found(self) -> bool:
        """True when the subject's pose is in this frame."""
        return not bool(np.isnan(self.image[0, 0]))


def _landmarks_array(landmarks: Any) -> np.ndarray:
    """MediaPipe landmark list -> (33, 4) float64 [x, y, z, visibility]."""
    return np.array(
        [(lm.x, lm.y, lm.z, np.nan if lm.visibility is None else lm.visibility) for lm in landmarks],
        dtype=np.float64,
    )


def _pose_of(result: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(image, world) landmarks of the one person in a MediaPipe result, or ``None``."""
    if not result.pose_landmarks:
        return None
    worlds = result.pose_world_landmarks or []
    world = _landmarks_array(worlds[0]) if worlds else _nan_rows()
    return _landmarks_array(result.pose_landmarks[0]), world


def _close_landmarkers(landmarkers: list[Any]) -> None:
    for landmarker in landmarkers:
        try:
            landmarker.close()
        except Exception:  # noqa: BLE001 - already closed or the runtime is shutting down
            pass


def masked(image_rgb: np.ndarray, box: np.ndarray, size: float) -> np.ndarray:
    """A copy of ``image_rgb`` with ``box`` (x0, y0, x1, y1 in frame heights, see
    ``subject.geometry``), grown by ``MASK_MARGIN * size`` on each side, black."""
    h, w = image_rgb.shape[:2]
    grown = (box + np.array([-1.0, -1.0, 1.0, 1.0]) * MASK_MARGIN * size) * h
    x0, y0 = (max(0, int(np.floor(v))) for v in grown[:2])
    x1, y1 = min(w, int(np.ceil(grown[2]))), min(h, int(np.ceil(grown[3])))
    out = image_rgb.copy()
    out[y0:y1, x0:x1] = 0
    return out


_open_trackers: weakref.WeakSet[PoseTracker] = weakref.WeakSet()
_exit_hook_registered = False


def _close_open_trackers() -> None:
    for tracker in list(_open_trackers):
        tracker.close()


def _register_exit_hook() -> None:
    """Close trackers their owners left open, early enough at interpreter exit.

    MediaPipe runs every native call on a ``ThreadPoolExecutor``, which is
    shut down when the main thread ends, before ``atexit`` handlers run; a
    landmarker closed (or garbage-collected) after that prints a traceback.
    ``threading._register_atexit`` (what ``concurrent.futures`` itself uses)
    runs hooks registered later first, so this hook runs while MediaPipe's
    executor still works.
    """
    global _exit_hook_registered
    if _exit_hook_registered:
        return
    register = getattr(threading, "_register_atexit", None)
    try:
        if register is not None:
            register(_close_open_trackers)
        else:  # pragma: no cover - very old or unusual Pythons
            import atexit

            atexit.register(_close_open_trackers)
        _exit_hook_registered = True
    except RuntimeError:  # the interpreter is already shutting down
        pass


class PoseTracker:
    """MediaPipe pose landmarks of one subject, frame after frame.

    Runs MediaPipe's ``PoseLandmarker`` in VIDEO mode (which tracks between
    frames) at its one-person speed and follows one subject, keeping an eye
    out for other people (see the module docstring). Use it as a context
    manager, or call ``close()``: it holds native resources.

    Args:
        model: variant name, path to a ``.task`` file, or ``None`` for the
            default variant; resolved by ``resolve_model``.
        num_poses: most people counted in a frame: 2 (the default) looks for
            a second person, which also keeps the subject from being
            confused with them; 1 is the bare landmarker (``n_people`` is at
            most 1 and nothing stops it from moving to another person).
        min_confidence: MediaPipe's detection, presence and tracking confidence.

    Raises:
        ModelError: no model file can be had, or MediaPipe cannot load it.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, num_poses: int = 2, min_confidence: float = 0.5) -> None:
        if num_poses not in (1, 2):
            raise ValueError(f"num_poses must be 1 or 2, but got {num_poses}")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, but got {min_confidence}")
        self.model_path: Path = resolve_model(model)
        self.model_name: str = model_name(self.model_path)
        self.model_sha256: str = model_sha256_of(model_id(self.model_path)) or ""
        self.num_poses = num_poses
        self.min_confidence = min_confidence
        self._main: Any = None
        self._side: Any = None
        self._still: Any = None  # IMAGE mode, made on first need (slow sources only)
        self._landmarkers: list[Any] = []
        self._finalizer: weakref.finalize | None = None
        self.frames_done = 0
        self.looks_done = 0
        self.redetections_done = 0
        self.still_reads_done = 0
        self._open()

    def _create(self, still: bool = False) -> Any:
        """One MediaPipe ``PoseLandmarker`` for one person, VIDEO mode (IMAGE mode when ``still``)."""
        from mediapipe.tasks.python import BaseOptions, vision

        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.IMAGE if still else vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=self.min_confidence,
            min_pose_presence_confidence=self.min_confidence,
            min_tracking_confidence=self.min_confidence,
        )
        try:
            with native_stderr_silenced():
                return vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # noqa: BLE001 - MediaPipe raises RuntimeError, ValueError, OSError...
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ModelError(
                f"{self.model_path}: MediaPipe could not load this model ({reason}); replace it "
                "(hiprom models fetch full) or pass another .task file with --model PATH"
            ) from None

    def _open(self, scene: Scene | None = None) -> None:
        try:
            mediapipe = import_mediapipe()
            Image, ImageFormat = mediapipe.Image, mediapipe.ImageFormat
        except ImportError as exc:
            raise ModelError(f"MediaPipe is not installed or broken ({exc}); install it with: pip install mediapipe") from None
        self._image_cls, self._srgb = Image, ImageFormat.SRGB
        landmarkers = [self._create()]
        if self.num_poses > 1:
            try:
                landmarkers.append(self._create())
            except ModelError:
                _close_landmarkers(landmarkers)
                raise
        self._main = landmarkers[0]
        self._side = landmarkers[1] if len(landmarkers) > 1 else None
        self._still = None
        self._landmarkers = landmarkers  # the finalizer closes what this list holds, a still one too
        # Closes the native graphs when this tracker is garbage-collected, or at
        # interpreter exit (see _register_exit_hook) if the owner forgot.
        self._finalizer = weakref.finalize(self, _close_landmarkers, landmarkers)
        _open_trackers.add(self)
        _register_exit_hook()
        self._last_ts = -1
        self._scene = scene if scene is not None else Scene()  # whom to follow
        self._state: str | None = None  # main landmarker: "none", "subject" or "other"
        self._last_look_ms = -np.inf
        self._last_look_frame = -LOOK_MIN_FRAMES
        self._other: Geometry | None = None  # the side landmarker's person at the latest look
        self._other_lost_ms = -np.inf
        self._other_seen_ms: float | None = None  # latest look that saw someone else (or the first frame)
        self._prev_t_ms: float | None = None
        self._gaps_ms: list[float] = []  # the source's last few frame intervals
        self._slow_source = False  # their median is REDETECT_SLOW_FRAME_MS or more
        self._last_redetect_ms = -np.inf
        self._side_on_subject = False  # the side landmarker tracks the subject (after a re-detection)
        self._side_ts = -1

    @property
    def closed(self) -> bool:
        return self._main is None

    def _detect(self, landmarker: Any, image_rgb: np.ndarray, ts: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(image, world) landmarks of the one person ``landmarker`` sees, or ``None``."""
        return _pose_of(landmarker.detect_for_video(self._image_cls(image_format=self._srgb, data=image_rgb), ts))

    def _still_read(
        self, data: np.ndarray, pose: tuple[np.ndarray, np.ndarray], pose_geometry: Geometry, size_wh: tuple[int, int]
    ) -> tuple[tuple[np.ndarray, np.ndarray], Geometry]:
        """The subject's (image, world) landmarks read from this frame alone, and their geometry, when
        that reading is the subject's and sees the worse knee better; else ``pose`` and ``pose_geometry``."""
        fresh = self._read_alone(equalized(data))
        if fresh is None:
            return pose, pose_geometry
        fresh_geometry = geometry(fresh[0], size_wh)
        if not same_person(fresh_geometry, pose_geometry) or fresh[0][KNEES, 3].min() <= pose[0][KNEES, 3].min():
            return pose, pose_geometry
        return fresh, fresh_geometry

    def _read_alone(self, picture: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(image, world) landmarks of the most confident person in ``picture`` read alone (IMAGE mode: no
        tracking, no smoothing; the landmarker made on first need), or ``None``; counted in ``still_reads_done``."""
        if self._still is None:
            self._still = self._create(still=True)
            self._landmarkers.append(self._still)
        self.still_reads_done += 1
        return _pose_of(self._still.detect(self._image_cls(image_format=self._srgb, data=picture)))

    def _side_detect(self, image_rgb: np.ndarray, ts: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The side landmarker on ``image_rgb``, after making it drop the subject if it tracks them.

        A landmarker that tracks somebody runs no detector on that frame: after a re-detection
        the side one would miss everybody at its next look. A blank frame 1 ms earlier makes it
        lose the subject, so that look detects.
        """
        if self._side_on_subject and ts - 1 > self._side_ts:
            self._detect(self._side, BLANK_RGB, ts - 1)
        self._side_on_subject = False
        self._side_ts = ts
        return self._detect(self._side, image_rgb, ts)

    def _second_look_due(self, image: np.ndarray) -> bool:
        """Whether the subject's pose (``image``, (33, 4)) may be read again at this frame: a slow
        source, nobody else in view, and the knees in the picture but poorly seen (knees out of the
        picture are not seen better by another reading)."""
        if self._side is None or self._other is not None or not self._slow_source:
            return False
        knees = image[KNEES]
        in_frame = bool(((knees[:, :2] >= 0.0) & (knees[:, :2] <= 1.0)).all())
        return in_frame and float(knees[:, 3].min()) < REDETECT_KNEE_VISIBILITY

    def _redetect_due(self, image: np.ndarray, t_ms: float) -> bool:
        """Whether the subject's pose (``image``, (33, 4)) gets a fresh detection at this frame."""
        return t_ms - self._last_redetect_ms >= REDETECT_EVERY_MS and self._second_look_due(image)

    def _redetect(
        self,
        data: np.ndarray,
        ts: int,
        t_ms: float,
        main: tuple[np.ndarray, np.ndarray],
        main_geometry: Geometry,
        size_wh: tuple[int, int],
    ) -> tuple[tuple[np.ndarray, np.ndarray], Geometry]:
        """The subject's (image, world) landmarks and their geometry from a fresh detection when it
        sees the knees better, else ``main`` and ``main_geometry``.

        The side landmarker (tracking nobody: nobody else was seen at the latest look) sees the
        whole frame, so MediaPipe's detector crops it afresh; if that pose is the subject's and
        sees the worse knee better, the landmarkers swap and tracking goes on from it.
        """
        self._last_redetect_ms = t_ms
        self.redetections_done += 1
        fresh = self._side_detect(data, ts)
        self._side_on_subject = fresh is not None
        if fresh is None:
            return main, main_geometry
        fresh_geometry = geometry(fresh[0], size_wh)
        if not same_person(fresh_geometry, main_geometry) or fresh[0][KNEES, 3].min() <= main[0][KNEES, 3].min():
            return main, main_geometry
        self._main, self._side = self._side, self._main  # the old main one tracks the subject too
        return fresh, fresh_geometry

    def _look_due(self, state: str, t_ms: float) -> bool:
        """Whether the side landmarker looks at this frame (see the module docstring)."""
        if self._side is None:
            return False
        if state == "other" or (state == "subject" and not self._scene.follower.has_subject):
            # The main landmarker is on somebody else: the subject can only come back through a
            # look. Or this is the first subject: it is chosen among everybody in view.
            return True
        since_ms = t_ms - self._last_look_ms
        other_just_lost = t_ms - self._other_lost_ms < LOOK_EVERY_MS
        if other_just_lost or (state == "subject" and self._state != "subject"):
            return since_ms >= LOOK_EVENT_MS
        every = LOOK_ALONE_EVERY_MS if t_ms - self._other_seen_ms >= ALONE_AFTER_MS else LOOK_EVERY_MS
        return since_ms >= every and self.frames_done - self._last_look_frame >= LOOK_MIN_FRAMES

    def process(self, image_rgb: np.ndarray, t_ms: float, source_gap_ms: float | None = None) -> PoseResult:
        """Pose of the subject in one RGB frame.

        Args:
            image_rgb: (h, w, 3) uint8 RGB.
            t_ms: frame time in milliseconds, increasing. MediaPipe needs
                strictly increasing whole milliseconds: a time that rounds to
                the previous one (or earlier) is moved 1 ms after it.
            source_gap_ms: ms since the source's previous frame, when frames
                may have been dropped before this one (the live loop). A slow
                source is told by it, not by the gap since the previous frame
                given here: a worker that falls behind a 30 fps camera for a
                moment must not take it for a slow one, whose extra reads
                (``REDETECT_SLOW_FRAME_MS``) would keep it behind. None: the
                gap since the previous frame given (every frame of a file).

        Returns:
            PoseResult with NaN rows when no subject is in the frame.
        """
        if self._main is None:
            raise RuntimeError("PoseTracker is closed")
        if not isinstance(image_rgb, np.ndarray) or image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise ValueError(
                f"image_rgb must be a uint8 np.ndarray with shape (h, w, 3), but got shape "
                f"{getattr(image_rgb, 'shape', None)} and dtype {getattr(image_rgb, 'dtype', None)}"
            )
        if source_gap_ms is None and self._prev_t_ms is not None:
            source_gap_ms = float(t_ms) - self._prev_t_ms
        if source_gap_ms is not None:
            self._gaps_ms = [*self._gaps_ms[-4:], float(source_gap_ms)]
            self._slow_source = float(np.median(self._gaps_ms)) >= REDETECT_SLOW_FRAME_MS
        self._prev_t_ms = float(t_ms)
        ts = int(round(t_ms))
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts
        if self._other_seen_ms is None:
            self._other_seen_ms = float(t_ms)
        data = pose_input(image_rgb if image_rgb.flags.c_contiguous else np.ascontiguousarray(image_rgb))
        size_wh = (int(data.shape[1]), int(data.shape[0]))
        main = self._detect(self._main, data, ts)
        self.frames_done += 1
        poses = [main] if main is not None else []
        people = [geometry(main[0], size_wh)] if main is not None else []
        if main is None:
            state = "none"
        else:
            state = "subject" if self._scene.follower.peek(people, float(t_ms), size_wh) == 0 else "other"
        looked = self._look_due(state, float(t_ms))
        side = None
        if looked:
            masked_data = masked(data, people[0].box, people[0].size) if people else data
            side = self._side_detect(masked_data, ts)
            self.looks_done += 1
            self._last_look_ms = float(t_ms)
            self._last_look_frame = self.frames_done
            # Someone seen at the previous look and not now may only have moved away from where
            # the side landmarker tracked them, and its detector may miss them a few times.
            if side is None and self._other is not None:
                self._other_lost_ms = float(t_ms)
            self._other = geometry(side[0], size_wh) if side is not None else None
            if side is not None:
                self._other_seen_ms = float(t_ms)
                poses.append(side)
                people.append(self._other)
        elif main is not None and state == "subject" and self._scene.follower.has_subject:
            if self._redetect_due(main[0], float(t_ms)):
                poses[0], people[0] = self._redetect(data, ts, float(t_ms), main, people[0], size_wh)
            if self._second_look_due(poses[0][0]):
                poses[0], people[0] = self._still_read(data, poses[0], people[0], size_wh)
        follower = self._scene.follower
        if (main is None and self._slow_source and follower.has_subject
                and follower.peek(people, float(t_ms), size_wh) is None):  # the subject lost: asked only then
            lost = self._read_alone(smoothed_equalized(data))
            if lost is not None:
                found = geometry(lost[0], size_wh)
                if follower.peek([found], float(t_ms), size_wh) == 0:  # the subject, never another
                    poses.insert(0, lost)
                    people.insert(0, found)
        pick = follower.choose(people, float(t_ms), size_wh)
        if pick is not None and pick == len(people) - 1 and looked and side is not None:
            # The side landmarker holds the subject: it becomes the main one.
            self._main, self._side = self._side, self._main
            self._other = people[0] if main is not None else None
            state = "subject"
        self._state = state
        seen = people if looked else [*people, *([self._other] if self._other is not None else [])]
        n_people = self._scene.counted(self, float(t_ms), count_people(seen))
        if pick is None:
            return PoseResult(_nan_rows(), _nan_rows(), n_people)
        return PoseResult(poses[pick][0], poses[pick][1], n_people)

    def restart(self, scene: Scene | None = None) -> None:
        """Start a new stream: fresh MediaPipe state, timestamps and subject.

        MediaPipe's VIDEO mode carries tracking and smoothing from frame to
        frame; a new video must not inherit them from the previous one.

        Args:
            scene: whom to follow in the new stream, shared with the other trackers that take
                turns on its frames (the live loop's pose threads), so that they follow one person
                and report people alike; new for each stream. None: a fresh one of this tracker's own.
        """
        if self.frames_done == 0 and self._main is not None:
            self._scene = scene if scene is not None else Scene()
            return
        self.close()
        self.frames_done = 0
        self.looks_done = 0
        self.redetections_done = 0
        self.still_reads_done = 0
        self._open(scene)

    def close(self) -> None:
        """Release MediaPipe's native resources; safe to call more than once."""
        if self._finalizer is not None:
            self._finalizer()  # closes the landmarkers once
            self._finalizer = None
        self._main = self._side = self._still = None
        _open_trackers.discard(self)

    def __enter__(self) -> PoseTracker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.frames_done} frames"
        return f"PoseTracker({self.model_name!r}, num_poses={self.num_poses}, {state})"
