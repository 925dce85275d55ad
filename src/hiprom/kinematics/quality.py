"""Per-frame quality and compensation flags (bits of :class:`QualityFlag`), per side.

Each function returns a ``uint32`` array of shape (n_frames, 2), columns
(left, right), so that flags from different sources combine with ``|``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hiprom.kinematics import geometry as geo
from hiprom.kinematics.flags import QualityFlag as Q
from hiprom.kinematics.settings import KinematicsSettings

if TYPE_CHECKING:
    from hiprom.kinematics.neutral import Neutral

_LEG = np.stack([geo.HIP, geo.KNEE, geo.ANKLE], axis=1)  # (2 sides, 3 joints)
_FOOT = np.stack([geo.HEEL, geo.TOE], axis=1)  # (2 sides, 2 points)


def _bit(mask: np.ndarray, flag: Q) -> np.ndarray:
    return np.where(mask, np.uint32(flag), np.uint32(0))


def unmeasurable_flags(
    image: np.ndarray,
    size_wh: tuple[int, int],
    settings: KinematicsSettings,
    n_people: np.ndarray | None = None,
) -> np.ndarray:
    """NO_PERSON, LOW_VISIBILITY and LEG_OUT_OF_FRAME: the flags that force NaN."""
    leg = image[:, _LEG]  # (n, 2, 3, 4)
    absent = np.isnan(leg).any(axis=(2, 3))
    if n_people is not None:
        absent |= (np.asarray(n_people) == 0)[:, None]
    with np.errstate(invalid="ignore"):
        # NaN compares False, so an absent leg is flagged NO_PERSON only.
        hidden = leg[..., 3].min(axis=2) < settings.min_visibility
        hidden |= image[:, _FOOT, 3].max(axis=2) < settings.min_foot_visibility
        xy = leg[..., :2]
        outside = ((xy < 0.0) | (xy > 1.0)).any(axis=(2, 3))
    return (
        _bit(absent, Q.NO_PERSON)
        | _bit(hidden & ~absent, Q.LOW_VISIBILITY)
        | _bit(outside & ~absent, Q.LEG_OUT_OF_FRAME)
    )


def posture_flags(world: np.ndarray, neutral: "Neutral", settings: KinematicsSettings) -> np.ndarray:
    """KNEE_NOT_FLEXED and THIGH_NOT_TOWARD_CAMERA per frame; CAMERA_OBLIQUE from the neutral's yaw."""
    lo, hi = settings.knee_flexion_range_deg
    with np.errstate(invalid="ignore"):
        flexion = geo.knee_flexion_deg(world)
        bent_wrong = (flexion < lo) | (flexion > hi)
        sideways = np.abs(geo.thigh_heading_deg(world)) > settings.thigh_camera_max_deg
    oblique = np.full(bent_wrong.shape, abs(neutral.camera_yaw_deg) > settings.oblique_yaw_deg)
    return (
        _bit(bent_wrong, Q.KNEE_NOT_FLEXED)
        | _bit(sideways, Q.THIGH_NOT_TOWARD_CAMERA)
        | _bit(oblique, Q.CAMERA_OBLIQUE)
    )


def crowd_flags(n_people: np.ndarray) -> np.ndarray:
    """MULTIPLE_PEOPLE on both sides of every frame where the model saw more than one person."""
    crowded = np.asarray(n_people) > 1
    return _bit(np.repeat(crowded[:, None], 2, axis=1), Q.MULTIPLE_PEOPLE)


def posture_change(image: np.ndarray, size_wh: tuple[int, int], neutral: "Neutral") -> dict[str, np.ndarray]:
    """Posture relative to the neutral, scale free.

    Returns ``hike`` (n,) and ``knee`` (n, 2) in shank lengths (the neutral
    shank on screen, ~0.42 m on an adult), ``lean_deg`` (n,) in degrees.
    NaN when the neutral has no baseline.
    """
    p = geo.posture_px(image, size_wh, neutral.reference_deg)
    scale = neutral.shank_px
    return {
        "hike": (p["hike_px"] - neutral.hike_px) / scale,
        "lean_deg": geo.wrap_deg(p["lean_deg"] - neutral.lean_deg),
        "knee": (p["knee_px"] - neutral.knee_px) / scale,
    }


def compensation_flags(
    hike: np.ndarray, lean_deg: np.ndarray, knee: np.ndarray, swing_deg: np.ndarray, settings: KinematicsSettings
) -> np.ndarray:
    """PELVIS_HIKE and TRUNK_LEAN (both sides), KNEE_DRIFT (per side) from smoothed posture changes.

    ``swing_deg`` (n, 2) is the shank's turn about the knee landmark (``+`` = foot lateral).

    A knee counts as drifting when it slides *against* the foot's swing (medially
    during internal rotation, laterally during external), which tilts the shank
    further and inflates the reading, or either way while the leg rests
    (``|swing_deg| <= neutral_tolerance_deg``). A knee that follows the foot lowers
    the reading instead; MediaPipe's knee landmark does that by itself (about
    0.2 shank lengths at a 30-38 deg internal rotation on rendered clips whose
    knees stay still), so it is not flagged.
    """
    swing = np.where(np.abs(swing_deg) > settings.neutral_tolerance_deg, np.sign(swing_deg), 0.0)
    with np.errstate(invalid="ignore"):
        against = np.where(swing != 0, -swing * knee, np.abs(knee))
        hiked = np.abs(hike) > settings.pelvis_hike_ratio
        leaning = np.abs(lean_deg) > settings.trunk_lean_deg
        drifting = against > settings.knee_drift_ratio
    both = np.ones((1, 2), dtype=bool)
    return (
        _bit(hiked[:, None] & both, Q.PELVIS_HIKE)
        | _bit(leaning[:, None] & both, Q.TRUNK_LEAN)
        | _bit(drifting, Q.KNEE_DRIFT)
    )
