"""The subject's neutral: camera roll, world "down", camera yaw and posture baselines.

Everything the kernel compares against is taken from the *quiet* frames, where
both legs rest in their own most common position. A seated rotation test
spends most of its time there (lead-in, rests, and the other leg's trials), so
the most common shank direction per side is the neutral one, and its mean over
both sides is true vertical: a symmetric splay of the shanks cancels, and so
does the slight convergence of verticals in a tilted camera. The live page
can instead take a neutral on request (``LiveMeter.calibrate``), with the same
function run on its recent frames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import gaussian_filter1d

from hiprom.kinematics import geometry as geo
from hiprom.kinematics.camera import CameraEstimate, estimate_camera
from hiprom.kinematics.quality import unmeasurable_flags
from hiprom.kinematics.settings import KinematicsSettings

_NAN2 = (float("nan"), float("nan"))
MAX_FRAMES = 20_000
REST_MAX_DEG = 12.0
"""At rest before a neutral is taken: the shin within this of straight down, read against an
uncalibrated neutral (camera roll still adds to it); the live guide's ``calibrate_max_deg``."""
REST_STILL_DEG = 4.0
"""...and moving less than this (peak to peak); the live guide's ``still_band_deg``."""
"""Most frames the neutral is estimated from (longer recordings are sampled evenly)."""


@dataclass(frozen=True)
class Neutral:
    """What "no rotation, no compensation" looks like for one subject and camera.

    Attributes:
        reference_deg: image angle of true down (camera roll), ``+`` toward image right.
        down_world (np.ndarray): (3,) unit vector of "down" in world coordinates.
        camera_yaw_deg: camera yaw used by the frontal method, ``+`` = camera toward the
            subject's right (``camera.yaw_deg``, or 0 when that is unknown).
        hike_px, lean_deg, knee_px (2,), shank_px: posture baselines, see
            :func:`hiprom.kinematics.geometry.posture_px`; NaN = unknown (no compensation flags).
        knee_offset_px (np.ndarray): (2 sides, 2 xy) resting ``knee - hip`` in pixels, for the
            knee anchor of the frontal method; NaN = unknown (knee landmark used as is).
        ankle_visibility (np.ndarray): (2,) each resting ankle's median visibility (0-1), the
            baseline of the frontal method's medial-occlusion correction; NaN = unknown (none).
        n_frames: how many quiet frames it was taken from; 0 = assumed, not measured.
        quiet_fraction: share of the frames examined in which both legs rested
            near their resting direction; low when the pose track is unsteady.
        camera: where the camera stands (:mod:`hiprom.kinematics.camera`); NaN = unknown.
    """

    reference_deg: float = 0.0
    down_world: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    camera_yaw_deg: float = 0.0
    hike_px: float = float("nan")
    lean_deg: float = float("nan")
    knee_px: np.ndarray = field(default_factory=lambda: np.array(_NAN2))
    shank_px: float = float("nan")
    knee_offset_px: np.ndarray = field(default_factory=lambda: np.full((2, 2), np.nan))
    ankle_visibility: np.ndarray = field(default_factory=lambda: np.array(_NAN2))
    n_frames: int = 0
    quiet_fraction: float = 0.0
    camera: CameraEstimate = field(default_factory=CameraEstimate)

    def __post_init__(self) -> None:
        down = np.asarray(self.down_world, dtype=np.float64)
        if down.shape != (3,) or not np.all(np.isfinite(down)) or np.linalg.norm(down) == 0:
            raise ValueError(f"down_world must be a finite non-zero vector of shape (3,), but got {down!r}")
        object.__setattr__(self, "down_world", down / np.linalg.norm(down))
        object.__setattr__(self, "knee_px", np.broadcast_to(np.asarray(self.knee_px, dtype=np.float64), (2,)))
        offset = np.broadcast_to(np.asarray(self.knee_offset_px, dtype=np.float64), (2, 2))
        object.__setattr__(self, "knee_offset_px", offset)
        ankle = np.broadcast_to(np.asarray(self.ankle_visibility, dtype=np.float64), (2,))
        object.__setattr__(self, "ankle_visibility", ankle)

    def to_dict(self) -> dict[str, Any]:
        """Plain numbers and lists (JSON-ready; NaN as None), for a recording to carry."""

        def plain(v: Any) -> Any:
            arr = np.asarray(v, dtype=np.float64)
            out = np.where(np.isfinite(arr), arr, np.nan).tolist()
            return _none_for_nan(out)

        def value(name: str) -> Any:
            v = getattr(self, name)
            if name == "n_frames":
                return v
            if name == "camera":
                return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
            return plain(v)

        return {f.name: value(f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Neutral":
        """The neutral ``to_dict`` wrote (None read back as NaN)."""

        def num(v: Any) -> Any:
            return np.asarray(_nan_for_none(v), dtype=np.float64)

        known = {f.name for f in fields(cls)} - {"camera"}
        values: dict[str, Any] = {k: (int(v) if k == "n_frames" else num(v)) for k, v in data.items() if k in known}
        if isinstance(data.get("camera"), dict):
            cam = {k: num(v) for k, v in data["camera"].items() if k in {f.name for f in fields(CameraEstimate)}}
            values["camera"] = CameraEstimate(**{k: (v if k == "swing_axes" else float(v)) for k, v in cam.items()})
        for k in ("reference_deg", "camera_yaw_deg", "hike_px", "lean_deg", "shank_px", "quiet_fraction"):
            if k in values:
                values[k] = float(values[k])
        return cls(**values)

    def rested(self, settings: KinematicsSettings = KinematicsSettings()) -> bool:
        """Whether the legs were seen resting together in at least ``settings.min_quiet_fraction`` of the
        frames; below that this is no resting pose (an unsteady track, or feet seen only when a turn lifts
        them into the picture), and the knee anchor, the camera and the test's readings are not taken from it."""
        return self.quiet_fraction >= settings.min_quiet_fraction

    @classmethod
    def from_reference(cls, reference_deg: float) -> "Neutral":
        """A neutral from a known camera roll alone (world down turned by the same roll)."""
        r = np.radians(reference_deg)
        return cls(reference_deg=float(reference_deg), down_world=np.array([np.sin(r), np.cos(r), 0.0]))


def _none_for_nan(v: Any) -> Any:
    if isinstance(v, list):
        return [_none_for_nan(x) for x in v]
    return None if isinstance(v, float) and v != v else v


def _nan_for_none(v: Any) -> Any:
    if isinstance(v, list):
        return [_nan_for_none(x) for x in v]
    return float("nan") if v is None else v


def robust_mode(values: np.ndarray, bandwidth: float) -> float:
    """The most common value of ``values`` (NaN ignored); NaN if there are none.

    A histogram smoothed with a Gaussian of ``bandwidth`` finds the densest
    place, then the median of the values within ``bandwidth`` of it refines it
    (exact when more than half of those values are identical, as in a resting
    leg of a synthetic subject).
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return float("nan")
    step = bandwidth / 4.0
    lo = v.min()
    bins = np.minimum(((v - lo) / step).astype(np.int64), 100_000)
    density = gaussian_filter1d(np.bincount(bins).astype(np.float64), sigma=4.0, mode="constant")
    centre = lo + (np.argmax(density) + 0.5) * step
    for _ in range(3):
        near = v[np.abs(v - centre) <= bandwidth]
        if near.size == 0:
            break
        centre = float(np.median(near))
    return float(centre)


def _median(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    """NaN-ignoring median that returns NaN (without a warning) for all-NaN input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, axis=axis)


def _turned(angle_deg: Any, turn_deg: float) -> Any:
    """``angle_deg - turn_deg`` wrapped into [-180, 180); exactly ``angle_deg`` when ``turn_deg`` is 0
    (an upright picture keeps its numbers to the last bit)."""
    return geo.wrap_deg(np.asarray(angle_deg, dtype=np.float64) - turn_deg) if turn_deg else angle_deg


def first_rest(t_s: np.ndarray, angle_deg: np.ndarray, min_s: float) -> tuple[int, int] | None:
    """The first still rest of one or more legs: frames ``[start, end)``, or None when there is none.

    Args:
        t_s: (n,) seconds, increasing.
        angle_deg: (n,) or (n, k) angles read against an uncalibrated neutral (``Neutral()``), NaN =
            unmeasured; every column must rest.
        min_s: the rest must last this long at least.

    A rest is a stretch with every angle measured, within ``REST_MAX_DEG`` of 0 and within
    ``REST_STILL_DEG`` peak to peak, lasting ``min_s``; the first one is grown forward while it still
    is one (the live count's lead-in: the person sitting still before the first rep).
    """
    a = np.asarray(angle_deg, dtype=np.float64).reshape(len(t_s), -1)
    t = np.asarray(t_s, dtype=np.float64)
    n = t.shape[0]
    if n < 2:
        return None
    k = max(2, int(np.ceil(min_s / float(np.median(np.diff(t))) - 1e-6)) + 1)
    if n < k:
        return None
    rested = np.all(np.isfinite(a) & (np.abs(a) <= REST_MAX_DEG), axis=1)
    windows = sliding_window_view(np.where(rested[:, None], a, np.nan), k, axis=0)  # (n-k+1, cols, k)
    ok = rested[: n - k + 1] & np.all(np.isfinite(windows), axis=(1, 2))
    ok &= np.all(np.ptp(np.nan_to_num(windows), axis=2) <= REST_STILL_DEG, axis=1)
    ok &= t[k - 1 :] - t[: n - k + 1] >= min_s - 1e-9
    if not ok.any():
        return None
    start = int(np.argmax(ok))
    # Grown while rested and still: up to the first frame off rest or beyond the still band since start.
    seg = a[start:]
    spread = np.maximum.accumulate(seg, axis=0) - np.minimum.accumulate(seg, axis=0)
    off = ~rested[start:] | np.any(spread > REST_STILL_DEG, axis=1)  # never within the first k frames
    return start, start + (int(np.argmax(off)) if off.any() else seg.shape[0])


def estimate_neutral(
    image: np.ndarray,
    world: np.ndarray,
    size_wh: tuple[int, int],
    settings: KinematicsSettings = KinematicsSettings(),
    reference_deg: float | None = None,
    legs: tuple[int, ...] = (0, 1),
) -> Neutral:
    """Estimate the :class:`Neutral` of a recording (arrays (n, 33, 4), already un-mirrored).

    ``reference_deg`` fixes the camera roll (e.g. from a level or a previous
    calibration) instead of estimating it; the rest is still measured. Long
    recordings are sampled evenly down to ``MAX_FRAMES`` frames: plenty for a
    mode and a few medians.

    ``legs`` (indices into ``SIDES``) are the legs whose rest the neutral is taken
    from: one leg (a counted exercise whose other leg is hidden, crossed or out of
    the picture) gives the roll from that shank alone (its own rest reads 0), world
    "down" from it, and no camera position (that needs both knees: the frontal
    method then assumes a camera straight in front).
    """
    stride = max(1, -(-image.shape[0] // MAX_FRAMES))
    image, world = image[::stride], world[::stride]
    measurable = unmeasurable_flags(image, size_wh, settings) == 0  # (n, 2)
    phi = np.where(measurable, geo.shank_direction_deg(image, size_wh), np.nan)
    # Modes, means and differences below are plain (not circular), so they are taken with the shanks
    # turned to within 90 deg of image-down, far from the angles' +-180 seam: an upside-down picture's
    # resting shanks lie either side of it (+178 and -178, whose plain mean 0 is the wrong way up).
    turn = 180.0 if abs(float(geo.circular_mean_deg(phi))) > 90.0 else 0.0
    phi = _turned(phi, turn)
    legs = tuple(sorted(set(legs)))
    if not legs or not set(legs) <= {0, 1}:
        raise ValueError(f"legs must be a non-empty subset of (0, 1), but got {legs!r}")
    modes = np.array([robust_mode(phi[:, side], settings.mode_bandwidth_deg) if side in legs else np.nan
                      for side in range(2)])
    if reference_deg is not None:
        ref = float(reference_deg)
    elif np.any(np.isfinite(modes)):
        ref = float(_turned(np.nanmean(modes), -turn))  # symmetric splay cancels in the mean of both sides
    else:
        ref = 0.0
    if not np.all(np.isfinite(modes)):
        modes = np.where(np.isfinite(modes), modes, _turned(ref, turn))

    near = np.abs(phi - modes) <= settings.neutral_tolerance_deg  # NaN compares False
    quiet = near[:, legs].all(axis=1)
    quiet_fraction = float(quiet.mean()) if quiet.size else 0.0
    if quiet.sum() < settings.min_neutral_frames:
        quiet = measurable[:, legs].all(axis=1)
    n_quiet = int(quiet.sum())
    if n_quiet == 0:
        return Neutral.from_reference(ref)

    # World "down": the mean direction of both resting shanks.
    shanks = world[:, geo.ANKLE[list(legs)], :3][quiet] - world[:, geo.KNEE[list(legs)], :3][quiet]
    with np.errstate(invalid="ignore", divide="ignore"):
        shanks = shanks / np.linalg.norm(shanks, axis=-1, keepdims=True)
    down = _median(shanks.mean(axis=1), axis=0)
    if not np.all(np.isfinite(down)) or np.linalg.norm(down) < 1e-6:
        down = Neutral.from_reference(ref).down_world

    steady = quiet_fraction >= settings.min_quiet_fraction and len(legs) == 2
    quiet_image = image[quiet]  # one copy of the quiet frames, not one per use (20,000 frames: 21 MB each)
    camera = (estimate_camera(quiet_image, world[quiet], size_wh, down, ref, settings.min_visibility)
              if steady else CameraEstimate())
    yaw = camera.yaw_deg
    posture = geo.posture_px(quiet_image, size_wh, ref)
    return Neutral(
        reference_deg=ref,
        down_world=down,
        camera_yaw_deg=float(yaw) if np.isfinite(yaw) else 0.0,
        hike_px=float(_median(posture["hike_px"])),
        lean_deg=float(_median(posture["lean_deg"])),
        knee_px=_median(posture["knee_px"], axis=0),
        shank_px=float(_median(posture["shank_px"][:, list(legs)])),
        knee_offset_px=_median(posture["knee_offset_px"], axis=0),
        ankle_visibility=_median(quiet_image[:, geo.ANKLE, 3], axis=0),
        n_frames=n_quiet,
        quiet_fraction=quiet_fraction,
        camera=camera,
    )
