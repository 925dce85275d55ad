"""The per-frame core shared by :func:`measure` and :class:`LiveMeter`.

Everything here depends on one frame and the :class:`Neutral` only, so the
offline and live paths give identical raw numbers; smoothing (offline
zero-phase, live causal) is the only thing they do differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hiprom.kinematics import geometry as geo
from hiprom.kinematics import quality
from hiprom.kinematics.flags import METHOD_FRONTAL, METHOD_NONE, METHOD_WORLD, UNMEASURABLE, QualityFlag
from hiprom.kinematics.neutral import Neutral
from hiprom.kinematics.settings import KinematicsSettings


@dataclass(frozen=True)
class FrameReadings:
    """Unsmoothed per-frame results; per-side arrays are (n, 2), columns (left, right).

    Attributes:
        frontal_deg, world_deg: the two methods, NaN where unmeasurable.
        raw_deg: the chosen method's number, NaN where unmeasurable.
        method: int8 index into ``METHODS``.
        flags: uint32 bits, everything except the compensation flags (which need smoothing).
        hike (n,), lean_deg (n,), knee (n, 2): posture change from neutral (see ``quality.posture_change``).
        swing_deg: the shank's turn about the knee *landmark* (frontal, no knee anchor), whose
            sign tells KNEE_DRIFT which way the foot swings.
        visibility: worst visibility of hip, knee and ankle, 0-1.
    """

    frontal_deg: np.ndarray
    world_deg: np.ndarray
    raw_deg: np.ndarray
    method: np.ndarray
    flags: np.ndarray
    hike: np.ndarray
    lean_deg: np.ndarray
    knee: np.ndarray
    swing_deg: np.ndarray
    visibility: np.ndarray


def prefers_world(neutral: Neutral, settings: KinematicsSettings) -> bool:
    """Method policy: the 3-D method first when asked for ('world'), or when the
    camera is so far to the side (``frontal_max_yaw_deg``) that the image barely
    sees the swing; the yaw-corrected frontal method otherwise.

    The frontal method uses the image landmarks, far steadier than MediaPipe's
    world depth, and one yaw per recording; the other method fills the frames
    where the first has no number. One decision per recording, so a series
    never jumps between methods.
    """
    return settings.method_policy == "world" or abs(neutral.camera_yaw_deg) > settings.frontal_max_yaw_deg


def read_frames(
    image: np.ndarray,
    world: np.ndarray,
    size_wh: tuple[int, int],
    n_people: np.ndarray,
    neutral: Neutral,
    settings: KinematicsSettings,
) -> FrameReadings:
    """Angles, method and per-frame flags of (n, 33, 4) ``image`` and ``world`` (un-mirrored)."""
    flags = (
        quality.unmeasurable_flags(image, size_wh, settings, n_people)
        | quality.posture_flags(world, neutral, settings)
        | quality.crowd_flags(n_people)
    )
    unmeasurable = (flags & np.uint32(UNMEASURABLE)) != 0
    with np.errstate(invalid="ignore"):
        yaw = neutral.camera_yaw_deg
        axes = neutral.camera.swing_axes
        swing = np.where(
            unmeasurable,
            np.nan,
            geo.frontal_rotation_deg(image, size_wh, neutral.reference_deg, yaw_deg=yaw, swing_axes=axes),
        )
        frontal = swing
        if settings.knee_anchor > 0.0 and neutral.rested(settings):
            anchored = geo.frontal_rotation_deg(
                image, size_wh, neutral.reference_deg, neutral.knee_offset_px, settings.knee_anchor, yaw, axes
            )
            frontal = np.where(unmeasurable, np.nan, anchored)
        frontal = frontal + medial_occlusion_deg(
            frontal, image[:, geo.ANKLE, 3], neutral.ankle_visibility, settings.medial_occlusion_deg,
            settings.neutral_tolerance_deg, settings.medial_occlusion_max_drop,
        )
        world_deg = np.where(unmeasurable, np.nan, geo.world_rotation_deg(world, neutral.down_world))
        disagree = np.abs(frontal - world_deg) > settings.methods_disagree_deg
    flags |= np.where(disagree, np.uint32(QualityFlag.METHODS_DISAGREE), np.uint32(0))

    # Chosen method first, the other one where the chosen one has no number.
    if prefers_world(neutral, settings):
        (first, first_id), (second, second_id) = (world_deg, METHOD_WORLD), (frontal, METHOD_FRONTAL)
    else:
        (first, first_id), (second, second_id) = (frontal, METHOD_FRONTAL), (world_deg, METHOD_WORLD)
    raw = np.where(np.isfinite(first), first, second)
    method = np.where(np.isfinite(first), first_id, np.where(np.isfinite(second), second_id, METHOD_NONE))
    with np.errstate(invalid="ignore"):
        implausible = np.abs(raw) > settings.max_rotation_deg
    flags |= np.where(implausible, np.uint32(QualityFlag.IMPLAUSIBLE_ANGLE), np.uint32(0))
    raw = np.where(implausible, np.nan, raw)
    method = np.where(implausible, METHOD_NONE, method)

    posture = quality.posture_change(image, size_wh, neutral)
    return FrameReadings(
        frontal_deg=frontal,
        world_deg=world_deg,
        raw_deg=raw,
        method=method.astype(np.int8),
        flags=flags.astype(np.uint32),
        hike=posture["hike"],
        lean_deg=posture["lean_deg"],
        knee=posture["knee"],
        swing_deg=swing,
        visibility=image[:, np.stack([geo.HIP, geo.KNEE, geo.ANKLE], axis=1), 3].min(axis=2),
    )


def medial_occlusion_deg(
    frontal_deg: np.ndarray,
    ankle_visibility: np.ndarray,
    rest_visibility: np.ndarray,
    deg_per_visibility: float,
    ramp_deg: float,
    max_drop: float = np.inf,
) -> np.ndarray:
    """(n, 2) correction (deg, ``<= 0``) for a foot swung medially in front of the other leg.

    In external rotation the foot crosses in front of the other leg; there the
    pose model lowers the ankle's visibility and places the ankle short of its
    swing, so the frontal reading falls short (``docs/accuracy.md``). The
    correction is ``-k w clip(v_rest - v, 0, max_drop)``: ``k = deg_per_visibility``,
    ``v`` the ankle's visibility, ``v_rest`` its resting median (per side, the
    neutral's), ``w = clip(-frontal / ramp_deg, 0, 1)`` so that it fades in
    over the first ``ramp_deg`` of a medial swing (no step at rest, nothing
    for a lateral swing). Zero where ``v_rest`` is unknown (NaN).
    """
    with np.errstate(invalid="ignore"):
        drop = np.clip(np.asarray(rest_visibility, dtype=np.float64) - ankle_visibility, 0.0, max_drop)
        weight = np.clip(-np.asarray(frontal_deg) / ramp_deg, 0.0, 1.0)
        correction = -deg_per_visibility * weight * drop
    return np.where(np.isfinite(correction), correction, 0.0)


def uncertainty_deg(
    jitter_deg: np.ndarray,
    visibility: np.ndarray,
    settings: KinematicsSettings,
    neutral: Neutral | None = None,
) -> np.ndarray:
    """One standard uncertainty (deg) per reading, terms added in quadrature.

    ``u = sqrt(jitter^2 + (k_vis (1 - visibility))^2 + place^2)``:
    jitter = RMS of raw minus smoothed around the frame (the landmark noise);
    visibility = the worst of hip, knee, ankle (a half-hidden leg is a guess);
    place = the landmark placement error over the shank's length on screen (the
    neutral's ``shank_px``; ``uncertainty_floor_deg`` while unknown), so a small
    or low-resolution picture is less certain. Missing (NaN) or degenerate
    (infinite) terms count as zero. The 3-D method's disagreement is not a term:
    MediaPipe's depth errs 4-20 deg where the frontal reading is right, so it
    inflated good readings and did not follow the frontal method's errors
    (``docs/accuracy.md``).
    """
    vis = settings.uncertainty_visibility_deg * (1.0 - np.clip(visibility, 0.0, 1.0))
    terms = [np.where(np.isfinite(t), t, 0.0) ** 2 for t in (jitter_deg, vis)]
    shank_px = neutral.shank_px if neutral is not None else float("nan")
    if np.isfinite(shank_px) and shank_px > 0:
        place = float(np.degrees(settings.uncertainty_placement_px / shank_px))
    else:
        place = settings.uncertainty_floor_deg
    return np.sqrt(sum(terms) + place**2)
