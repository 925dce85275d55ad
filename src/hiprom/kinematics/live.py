"""``LiveMeter``: the kernel one frame at a time, for the live page.

It runs the same per-frame core as :func:`measure` (``read_frames``), so its raw
numbers equal the offline ones for the same neutral; only the smoothing differs:
a causal One Euro filter here, a zero-phase smoother offline.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from hiprom.errors import NotMeasurableError
from hiprom.kinematics import quality
from hiprom.kinematics.camera import CameraEstimate
from hiprom.kinematics.flags import METHODS, UNMEASURABLE, flag_names
from hiprom.kinematics.neutral import Neutral, estimate_neutral
from hiprom.kinematics.readings import read_frames, uncertainty_deg
from hiprom.kinematics.settings import KinematicsSettings
from hiprom.kinematics.smoothing import OneEuroFilter
from hiprom.landmarks import SIDES, check_landmarks, mirror_landmarks
from hiprom.rounding import rounded


@dataclass(frozen=True)
class LiveReading:
    """One frame's result; per-side arrays are (2,), (left, right) = SIDES.

    Attributes:
        t_ms: frame time in milliseconds, as given.
        angle_deg, raw_deg, frontal_deg, world_deg, uncertainty_deg: as in ``Kinematics``
            (``angle_deg`` causally smoothed).
        method: int8 index into ``METHODS``.
        flags: uint32 ``QualityFlag`` bits.
        calibrated: False until ``LiveMeter.calibrate`` has taken a neutral (no roll
            correction, no compensation flags before that).
    """

    t_ms: float
    angle_deg: np.ndarray
    raw_deg: np.ndarray
    frontal_deg: np.ndarray
    world_deg: np.ndarray
    method: np.ndarray
    uncertainty_deg: np.ndarray
    flags: np.ndarray
    calibrated: bool

    def to_dict(self) -> dict:
        """JSON-ready: ``{"t_ms", "calibrated", "left": {...}, "right": {...}}``, NaN as None."""

        out: dict = {"t_ms": float(self.t_ms), "calibrated": self.calibrated}
        for i, side in enumerate(SIDES):
            out[side] = {
                "angle_deg": rounded(self.angle_deg[i], 2),
                "raw_deg": rounded(self.raw_deg[i], 2),
                "uncertainty_deg": rounded(self.uncertainty_deg[i], 2),
                "method": METHODS[int(self.method[i])],
                "flags": flag_names(int(self.flags[i])),
            }
        return out


class LiveMeter:
    """Hip rotation from one frame at a time, with a rolling buffer for calibration.

    Args:
        settings: the same settings as :func:`measure`.
        neutral: a known neutral (e.g. from a previous session); None = uncalibrated.
        calibration_s: how many recent seconds ``calibrate`` looks at.
    """

    def __init__(
        self,
        settings: KinematicsSettings = KinematicsSettings(),
        neutral: Neutral | None = None,
        calibration_s: float = 2.0,
    ) -> None:
        if calibration_s <= 0:
            raise ValueError(f"calibration_s must be positive, but got {calibration_s}")
        self.settings = settings
        self.calibration_s = calibration_s
        self._neutral = neutral if neutral is not None else Neutral()
        self._calibrated = neutral is not None
        self._buffer: deque[tuple[float, np.ndarray, np.ndarray, int]] = deque()
        self._size_wh: tuple[int, int] | None = None
        s = settings
        self._angle = OneEuroFilter(2, s.one_euro_min_cutoff_hz, s.one_euro_beta, s.one_euro_d_cutoff_hz)
        # Plain exponential averages (a One Euro with beta = 0) for posture and jitter.
        self._posture = OneEuroFilter(6, 1.0 / (2 * math.pi * s.compensation_smooth_s), 0.0, 1.0)
        self._spread = OneEuroFilter(2, 1.0 / (math.pi * s.uncertainty_window_s), 0.0, 1.0)  # tau = window / 2

    @property
    def neutral(self) -> Neutral:
        """The neutral in use (a default, uncalibrated one until ``calibrate``)."""
        return self._neutral

    @property
    def calibrated(self) -> bool:
        """Whether a neutral has been taken or given."""
        return self._calibrated

    def reset_filters(self) -> None:
        """Restart smoothing (after a calibration, or when the subject changes)."""
        for f in (self._angle, self._posture, self._spread):
            f.reset()

    def update(
        self,
        t_ms: float,
        image: np.ndarray,
        world: np.ndarray,
        size_wh: tuple[int, int],
        mirrored: bool = False,
        n_people: int | None = None,
    ) -> LiveReading:
        """Measure one frame: ``image`` and ``world`` (33, 4) as from the pose tracker.

        ``n_people`` defaults to 1 when a pose is present, else 0.
        """
        img = check_landmarks(np.asarray(image, dtype=np.float64)[None], "image", 1)
        wld = check_landmarks(np.asarray(world, dtype=np.float64)[None], "world", 1)
        if mirrored:
            img, wld = mirror_landmarks(img, wld)
        people = int(n_people) if n_people is not None else int(not np.isnan(img[0, 0, 0]))
        self._remember(float(t_ms), img[0], wld[0], people, (int(size_wh[0]), int(size_wh[1])))

        s = self.settings
        fr = read_frames(img, wld, self._size_wh, np.array([people]), self._neutral, s)
        t_s = float(t_ms) / 1000.0
        angle = self._angle(t_s, fr.raw_deg[0])
        posture = self._posture(t_s, np.concatenate([fr.hike, fr.lean_deg, fr.knee[0], fr.swing_deg[0]]))
        compensation = quality.compensation_flags(posture[:1], posture[1:2], posture[None, 2:4], posture[None, 4:], s)
        flags = fr.flags[0] | compensation[0]
        # Mean square of raw - smoothed over ~uncertainty_window_s.
        spread = self._spread(t_s, (fr.raw_deg[0] - angle) ** 2)
        known = self._neutral if self._calibrated else None
        u = uncertainty_deg(np.sqrt(spread), fr.visibility[0], s, known)
        unmeasurable = (flags & np.uint32(UNMEASURABLE)) != 0
        return LiveReading(
            t_ms=float(t_ms),
            angle_deg=np.where(unmeasurable, np.nan, angle),
            raw_deg=fr.raw_deg[0],
            frontal_deg=fr.frontal_deg[0],
            world_deg=fr.world_deg[0],
            method=fr.method[0],
            uncertainty_deg=np.where(unmeasurable | np.isnan(angle), np.nan, u),
            flags=flags.astype(np.uint32),
            calibrated=self._calibrated,
        )

    def _remember(
        self, t_ms: float, image: np.ndarray, world: np.ndarray, people: int, size_wh: tuple[int, int]
    ) -> None:
        if self._size_wh is not None and size_wh != self._size_wh:
            self._buffer.clear()  # a new frame size: old pixels are not comparable
        self._size_wh = size_wh
        self._buffer.append((t_ms, image, world, people))
        while self._buffer and self._buffer[0][0] < t_ms - 1000.0 * self.calibration_s:
            self._buffer.popleft()

    def camera_estimate(self) -> CameraEstimate | None:
        """Where the camera stands, from the recent frames' resting pose, without calibrating.

        The same estimate :meth:`calibrate` takes (:func:`estimate_neutral`), for
        the guide's set-up step to coach the camera's place before measuring;
        None when no recent frame shows both legs.
        """
        if self._size_wh is None or not self._buffer:
            return None
        images = np.stack([b[1] for b in self._buffer])
        worlds = np.stack([b[2] for b in self._buffer])
        neutral = estimate_neutral(images, worlds, self._size_wh, self.settings)
        return neutral.camera if neutral.n_frames > 0 else None

    def calibrate(self, legs: tuple[int, ...] = (0, 1)) -> Neutral:
        """Take the recent frames (the subject sitting still, shins hanging) as the neutral.

        Sets the camera-roll reference, world "down", camera yaw and posture
        baselines with the same estimator :func:`measure` uses, restarts the
        smoothing, and returns the new neutral. ``legs`` (indices into ``SIDES``):
        the legs at rest to take it from (:func:`estimate_neutral`). Raises
        ``NotMeasurableError`` when no recent frame shows those legs.
        """
        if self._size_wh is None or not self._buffer:
            raise NotMeasurableError("cannot calibrate before any frame has arrived; start the camera first")
        images = np.stack([b[1] for b in self._buffer])
        worlds = np.stack([b[2] for b in self._buffer])
        neutral = estimate_neutral(images, worlds, self._size_wh, self.settings, legs=legs)
        if neutral.n_frames == 0:
            which = "both legs" if len(set(legs)) == 2 else f"the {SIDES[legs[0]]} leg"
            raise NotMeasurableError(
                f"no frame of the last {self.calibration_s:g} s shows {which} clearly; "
                f"sit facing the camera with {'both feet' if len(set(legs)) == 2 else 'that foot'} in view "
                "and calibrate again"
            )
        self._neutral = neutral
        self._calibrated = True
        self.reset_filters()
        return neutral
