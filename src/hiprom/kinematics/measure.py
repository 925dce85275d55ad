"""``measure``: a whole recording in, per-frame hip rotation of both sides out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hiprom.kinematics import quality
from hiprom.kinematics.flags import UNMEASURABLE
from hiprom.kinematics.neutral import Neutral, estimate_neutral
from hiprom.kinematics.readings import read_frames, uncertainty_deg
from hiprom.kinematics.settings import KinematicsSettings
from hiprom.kinematics.smoothing import frames_per_second, per_stretch, robust_smooth, rolling_rms, stretches
from hiprom.landmarks import mirror_landmarks
from hiprom.recording import LandmarkRecording

_POSTURE_FLOOR = np.array([0.01, 0.5, 0.01, 0.01, 1.0, 1.0])
"""Smallest robust SD of hike, lean (deg), knees (shank lengths) and swing (deg) for outlier rejection."""


def _check(array: np.ndarray, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
    arr = np.asarray(array, dtype=dtype)
    if arr.shape != shape:
        raise ValueError(f"{name} must be an array of shape {shape}, but got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class Kinematics:
    """Hip rotation of both sides, every frame. Per-side arrays are (n, 2), columns (left, right) = SIDES.

    Attributes:
        t_s (np.ndarray): (n,) seconds from the first frame.
        angle_deg (np.ndarray): smoothed best estimate, ``+`` internal / ``-`` external, NaN = unmeasurable.
        raw_deg (np.ndarray): the same before smoothing.
        frontal_deg (np.ndarray): frontal-plane method (image landmarks), NaN = unmeasurable.
        world_deg (np.ndarray): 3-D method (world landmarks), NaN = unmeasurable.
        method (np.ndarray): int8 index into ``METHODS = ("none", "frontal", "world")``.
        uncertainty_deg (np.ndarray): one standard uncertainty of ``angle_deg``, NaN where it is NaN.
        flags (np.ndarray): uint32 bit set of ``QualityFlag``.
        reference_deg (float): image-plane angle of "down" used (camera roll), degrees.
        neutral (Neutral | None): everything taken from the quiet frames (roll, world down,
            camera yaw, posture baselines).
    """

    t_s: np.ndarray
    angle_deg: np.ndarray
    raw_deg: np.ndarray
    frontal_deg: np.ndarray
    world_deg: np.ndarray
    method: np.ndarray
    uncertainty_deg: np.ndarray
    flags: np.ndarray
    reference_deg: float
    neutral: Neutral | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=np.float64)
        if t.ndim != 1:
            raise ValueError(f"t_s must be an array of shape (n_frames,), but got shape {t.shape}")
        n = t.shape[0]
        object.__setattr__(self, "t_s", t)
        for name in ("angle_deg", "raw_deg", "frontal_deg", "world_deg", "uncertainty_deg"):
            object.__setattr__(self, name, _check(getattr(self, name), name, (n, 2), np.float64))
        object.__setattr__(self, "method", _check(self.method, "method", (n, 2), np.int8))
        object.__setattr__(self, "flags", _check(self.flags, "flags", (n, 2), np.uint32))

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.t_s.shape[0])


def measure(
    rec: LandmarkRecording,
    mirrored: bool | None = None,
    settings: KinematicsSettings = KinematicsSettings(),
    *,
    reference: Neutral | float | None = None,
) -> Kinematics:
    """Hip rotation of both sides in every frame of ``rec``.

    Args:
        rec: the landmarks of one recording.
        mirrored: the picture is left-right flipped (selfie view); None = ``rec.mirrored``.
            Mirrored landmarks are un-mirrored first, so the numbers are per the
            subject's own sides either way.
        settings: thresholds and smoothing.
        reference: None = estimate the :class:`Neutral` from the recording's quiet
            frames; a float = the camera roll (image angle of "down", degrees),
            the rest estimated; a ``Neutral`` = use it as is (e.g. from ``LiveMeter.calibrate``).

    Frames that cannot be measured (``UNMEASURABLE`` flags) are NaN, never a guess.
    """
    image, world = rec.image, rec.world
    if rec.mirrored if mirrored is None else mirrored:
        image, world = mirror_landmarks(image, world)
    size_wh = rec.size_wh
    if isinstance(reference, Neutral):
        neutral = reference
    else:
        neutral = estimate_neutral(image, world, size_wh, settings, reference_deg=reference)
    frames = read_frames(image, world, size_wh, rec.n_people, neutral, settings)

    t_s = (rec.t_ms - rec.t_ms[0]) / 1000.0 if rec.n_frames else rec.t_ms.copy()
    fps = frames_per_second(t_s, rec.fps)
    parts = stretches(t_s, 1.0 / fps)  # no smoothing across a long gap without frames (a tab hidden)
    sigma = max(settings.smooth_sigma_s * fps, settings.smooth_min_sigma_frames)
    angle = per_stretch(lambda x: robust_smooth(x, sigma, settings.outlier_k, settings.outlier_floor_deg),
                        frames.raw_deg, parts)

    # Compensation: posture changes averaged (slow signals, so order 0), then thresholded.
    sigma_c = max(settings.compensation_smooth_s * fps, settings.smooth_min_sigma_frames)
    posture = np.column_stack([frames.hike, frames.lean_deg, frames.knee, frames.swing_deg])
    posture = per_stretch(lambda x: robust_smooth(x, sigma_c, settings.outlier_k, _POSTURE_FLOOR, order=0),
                          posture, parts)
    compensation = quality.compensation_flags(posture[:, 0], posture[:, 1], posture[:, 2:4], posture[:, 4:], settings)
    flags = frames.flags | compensation

    window_u = max(settings.uncertainty_window_s * fps, 3.0)
    rms = per_stretch(lambda x: rolling_rms(x, window_u), frames.raw_deg - angle, parts)
    u = uncertainty_deg(rms, frames.visibility, settings, neutral)
    unmeasurable = (flags & np.uint32(UNMEASURABLE)) != 0
    return Kinematics(
        t_s=t_s,
        angle_deg=np.where(unmeasurable, np.nan, angle),
        raw_deg=frames.raw_deg,
        frontal_deg=frames.frontal_deg,
        world_deg=frames.world_deg,
        method=frames.method,
        uncertainty_deg=np.where(np.isfinite(angle) & ~unmeasurable, u, np.nan),
        flags=flags,
        reference_deg=float(neutral.reference_deg),
        neutral=neutral,
    )
