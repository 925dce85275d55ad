"""``PoseTracker``: MediaPipe's PoseLandmarker (VIDEO mode) following one subject.

MediaPipe is imported only here, and only when a tracker is built, so the
rest of hiprom (and ``hiprom --help``) does not pay for it.
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
from hiprom.landmarks import N_LANDMARKS
from hiprom.native_stderr import native_stderr_silenced
from hiprom.pose.models import model_name, resolve_model
from hiprom.pose.subject import SubjectFollower, count_people, geometry


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


def _close_landmarker(landmarker: Any) -> None:
    try:
        landmarker.close()
    except Exception:  # noqa: BLE001 - already closed or the runtime is shutting down
        pass


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
    frames) with up to ``num_poses`` people, and follows one subject among
    them (see ``hiprom.pose.subject``). Use it as a context manager, or call
    ``close()``: it holds native resources.

    Args:
        model: variant name, path to a ``.task`` file, or ``None`` for the
            default variant; resolved by ``resolve_model``.
        num_poses: most people the model looks for in a frame.
        min_confidence: MediaPipe's detection, presence and tracking confidence.

    Raises:
        ModelError: no model file can be had, or MediaPipe cannot load it.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, num_poses: int = 2, min_confidence: float = 0.5) -> None:
        if num_poses < 1:
            raise ValueError(f"num_poses must be 1 or more, but got {num_poses}")
        if not 0.0 <= min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, but got {min_confidence}")
        self.model_path: Path = resolve_model(model)
        self.model_name: str = model_name(self.model_path)
        self.num_poses = num_poses
        self.min_confidence = min_confidence
        self._landmarker: Any = None
        self._finalizer: weakref.finalize | None = None
        self.frames_done = 0
        self._open()

    def _open(self) -> None:
        try:
            from mediapipe import Image, ImageFormat
            from mediapipe.tasks.python import BaseOptions, vision
        except ImportError as exc:
            raise ModelError(f"MediaPipe is not installed or broken ({exc}); install it with: pip install mediapipe") from None
        self._image_cls, self._srgb = Image, ImageFormat.SRGB
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(self.model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=self.num_poses,
            min_pose_detection_confidence=self.min_confidence,
            min_pose_presence_confidence=self.min_confidence,
            min_tracking_confidence=self.min_confidence,
        )
        try:
            with native_stderr_silenced():
                landmarker = vision.PoseLandmarker.create_from_options(options)
        except Exception as exc:  # noqa: BLE001 - MediaPipe raises RuntimeError, ValueError, OSError...
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise ModelError(
                f"{self.model_path}: MediaPipe could not load this model ({reason}); replace it "
                "(hiprom models fetch full) or pass another .task file with --model PATH"
            ) from None
        self._landmarker = landmarker
        # Closes the native graph when this tracker is garbage-collected, or at
        # interpreter exit (see _register_exit_hook) if the owner forgot.
        self._finalizer = weakref.finalize(self, _close_landmarker, landmarker)
        _open_trackers.add(self)
        _register_exit_hook()
        self._last_ts = -1
        self._follower = SubjectFollower()

    @property
    def closed(self) -> bool:
        return self._landmarker is None

    def process(self, image_rgb: np.ndarray, t_ms: float) -> PoseResult:
        """Pose of the subject in one RGB frame.

        Args:
            image_rgb: (h, w, 3) uint8 RGB.
            t_ms: frame time in milliseconds, increasing. MediaPipe needs
                strictly increasing whole milliseconds: a time that rounds to
                the previous one (or earlier) is moved 1 ms after it.

        Returns:
            PoseResult with NaN rows when no subject is in the frame.
        """
        if self._landmarker is None:
            raise RuntimeError("PoseTracker is closed")
        if not isinstance(image_rgb, np.ndarray) or image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise ValueError(
                f"image_rgb must be a uint8 np.ndarray with shape (h, w, 3), but got shape "
                f"{getattr(image_rgb, 'shape', None)} and dtype {getattr(image_rgb, 'dtype', None)}"
            )
        ts = int(round(t_ms))
        if ts <= self._last_ts:
            ts = self._last_ts + 1
        self._last_ts = ts
        data = image_rgb if image_rgb.flags.c_contiguous else np.ascontiguousarray(image_rgb)
        result = self._landmarker.detect_for_video(self._image_cls(image_format=self._srgb, data=data), ts)
        self.frames_done += 1
        poses = result.pose_landmarks or []
        if not poses:
            return PoseResult(_nan_rows(), _nan_rows(), 0)
        size_wh = (int(image_rgb.shape[1]), int(image_rgb.shape[0]))
        images = [_landmarks_array(p) for p in poses]
        people = [geometry(img, size_wh) for img in images]
        pick = self._follower.choose(people, float(t_ms), size_wh)
        n_people = count_people(people)
        if pick is None:
            return PoseResult(_nan_rows(), _nan_rows(), n_people)
        worlds = result.pose_world_landmarks or []
        world = _landmarks_array(worlds[pick]) if pick < len(worlds) else _nan_rows()
        return PoseResult(images[pick], world, n_people)

    def restart(self) -> None:
        """Start a new stream: fresh MediaPipe state, timestamps and subject.

        MediaPipe's VIDEO mode carries tracking and smoothing from frame to
        frame; a new video must not inherit them from the previous one.
        """
        if self.frames_done == 0 and self._landmarker is not None:
            return
        self.close()
        self.frames_done = 0
        self._open()

    def close(self) -> None:
        """Release MediaPipe's native resources; safe to call more than once."""
        if self._finalizer is not None:
            self._finalizer()  # calls landmarker.close() once
            self._finalizer = None
        self._landmarker = None
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
