"""Per-frame geometry of the seated hip-rotation test, vectorised over frames.

Every function takes whole recordings, ``image`` or ``world`` arrays of shape
(n_frames, 33, 4) (see :mod:`hiprom.landmarks`), and returns (n_frames, 2)
arrays with columns (left, right). No loops over frames; NaN in, NaN out.

Sign conventions (``docs/conventions.md``): ``+`` = internal rotation (foot
swings laterally), for the subject's own sides, in a non-mirrored picture.
"""

from __future__ import annotations

import numpy as np

from hiprom.landmarks import Landmark as L

HIP = np.array([L.LEFT_HIP, L.RIGHT_HIP])
KNEE = np.array([L.LEFT_KNEE, L.RIGHT_KNEE])
ANKLE = np.array([L.LEFT_ANKLE, L.RIGHT_ANKLE])
HEEL = np.array([L.LEFT_HEEL, L.RIGHT_HEEL])
TOE = np.array([L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX])
SHOULDER = np.array([L.LEFT_SHOULDER, L.RIGHT_SHOULDER])

LATERAL_SIGN = np.array([1.0, -1.0])
"""Facing a plain (non-mirrored) camera, the subject's left leg is on image right: image +x
(and world +x) is lateral for the left leg and medial for the right one."""


def _unit(v: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return v / np.linalg.norm(v, axis=-1, keepdims=True)


def wrap_deg(a: np.ndarray) -> np.ndarray:
    """Angles into [-180, 180)."""
    return (a + 180.0) % 360.0 - 180.0


def circular_mean_deg(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Mean direction of angles (deg, NaN ignored): the angle of their summed unit vectors, in [-180, 180].

    Unlike a plain mean it wraps: +178 and -178 average to 180, not 0. NaN where
    there is no angle.
    """
    rad = np.radians(np.asarray(a, dtype=np.float64))
    ok = np.isfinite(rad)
    rad = np.where(ok, rad, 0.0)
    s = np.where(ok, np.sin(rad), 0.0).sum(axis=axis)
    c = np.where(ok, np.cos(rad), 0.0).sum(axis=axis)
    return np.where(ok.any(axis=axis), np.degrees(np.arctan2(s, c)), np.nan)


def to_pixels(image: np.ndarray, size_wh: tuple[int, int], index: np.ndarray | None = None) -> np.ndarray:
    """(n, m, 2) pixel coordinates (x right, y down) of landmarks ``index`` (default all 33).

    Normalised x, y times (width, height), so distances and angles are true on screen.
    """
    xy = image[..., :2] if index is None else image[:, np.asarray(index).ravel(), :2]
    return xy * np.asarray(size_wh, dtype=np.float64)


def body_up_deg(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """(n,) image angle of the body's up (the ankles' midpoint -> the shoulders' midpoint) from
    image-up, ``+`` toward image right, in [-180, 180]: about 0 for a person sitting up in the
    picture, +-90 for a camera on its side, +-180 upside down. NaN where a landmark is not given.

    In pixels: ``v = (shoulders - ankles) * (W, H)`` (means of both sides), ``phi = atan2(v_x, -v_y)``.
    """
    px = to_pixels(image, size_wh, np.concatenate([SHOULDER, ANKLE]))
    v = px[:, 0:2].mean(axis=1) - px[:, 2:4].mean(axis=1)
    return np.degrees(np.arctan2(v[:, 0], -v[:, 1]))


def shank_direction_deg(
    image: np.ndarray,
    size_wh: tuple[int, int],
    knee_offset_px: np.ndarray | None = None,
    knee_anchor: float = 0.0,
) -> np.ndarray:
    """(n, 2) image angle of each shank (knee -> ankle) from image-down, ``+`` toward image right.

    In pixels, so a non-square frame does not bend the angle:
    ``v = (ankle - knee) * (W, H)``, ``phi = atan2(v_x, v_y)``.

    With ``knee_anchor`` ``a`` > 0 and ``knee_offset_px`` (2 sides, 2 xy), the
    resting offset ``knee - hip`` of each knee from its own hip, the top of the
    shank is ``(1 - a) knee + a (hip + offset)``: the knee landmark pulled back
    toward where that knee rests. The test keeps the knee still (a knee that
    slides is flagged KNEE_DRIFT), while MediaPipe's knee landmark follows the
    foot. A side whose offset is NaN uses the knee landmark alone.
    """
    px = to_pixels(image, size_wh, np.concatenate([KNEE, ANKLE, HIP]))
    knee, ankle, hip = px[:, 0:2], px[:, 2:4], px[:, 4:6]  # (n, 2 sides, 2 xy) each
    if knee_anchor > 0.0 and knee_offset_px is not None:
        offset = np.asarray(knee_offset_px, dtype=np.float64)
        anchored = (1.0 - knee_anchor) * knee + knee_anchor * (hip + offset)
        knee = np.where(np.isfinite(offset), anchored, knee)
    v = ankle - knee
    return np.degrees(np.arctan2(v[..., 0], v[..., 1]))


def frontal_rotation_deg(
    image: np.ndarray,
    size_wh: tuple[int, int],
    reference_deg: float,
    knee_offset_px: np.ndarray | None = None,
    knee_anchor: float = 0.0,
    yaw_deg: float = 0.0,
    swing_axes: np.ndarray | None = None,
) -> np.ndarray:
    """(n, 2) hip rotation from the image: the shank's swing away from true vertical.

    ``reference_deg`` is the image angle of true "down" (camera roll). The left
    leg's lateral is image right, so ``IR_left = phi_left - ref`` and
    ``IR_right = -(phi_right - ref)``. Exact when the thigh points at the camera
    (the swing plane is then parallel to the image plane, where a pinhole
    projection keeps angles). ``knee_offset_px`` and ``knee_anchor``: see
    :func:`shank_direction_deg`.

    A shank turned by ``theta`` lies along ``sin(theta) a + cos(theta) b``,
    with ``a`` the horizontal direction across the thigh and ``b`` true down;
    on screen, near the knee, these become 2-vectors ``A`` and ``B``, so the
    image angle ``phi`` (from ``B``) satisfies
    ``theta = atan2(B_y sin phi - B_x cos phi, A_x cos phi - A_y sin phi)``
    (``B`` along image down). ``swing_axes`` (2 sides, 2 (A, B), 2 xy) gives
    them per side (:func:`hiprom.kinematics.camera.swing_axes`: camera yaw,
    tilt and where the knee is in the picture, so a desk camera to one side is
    undone too). Without it a distant camera yawed by ``yaw_deg`` is assumed:
    ``A = (cos yaw, 0)``, ``B = (0, 1)``, i.e. ``tan phi = tan theta cos yaw``
    (the sign of the yaw does not matter).
    """
    phi = np.radians(wrap_deg(shank_direction_deg(image, size_wh, knee_offset_px, knee_anchor) - reference_deg))
    if swing_axes is None or not np.all(np.isfinite(swing_axes)):
        axes = np.array([[[np.cos(np.radians(yaw_deg)), 0.0], [0.0, 1.0]]] * 2)
    else:
        axes = np.asarray(swing_axes, dtype=np.float64)
    a, b = axes[:, 0], axes[:, 1]  # (2 sides, 2 xy) each
    sin, cos = np.sin(phi), np.cos(phi)
    theta = np.degrees(np.arctan2(b[:, 1] * sin - b[:, 0] * cos, a[:, 0] * cos - a[:, 1] * sin))
    return LATERAL_SIGN * theta


def thigh_axis(world: np.ndarray) -> np.ndarray:
    """(n, 2, 3) unit thigh axes (hip -> knee) in world coordinates."""
    xyz = world[..., :3]
    return _unit(xyz[:, KNEE] - xyz[:, HIP])


def world_rotation_deg(world: np.ndarray, down: np.ndarray) -> np.ndarray:
    """(n, 2) hip rotation in 3-D: the shank's turn about the thigh axis, from "down".

    With thigh axis ``u`` (unit, hip -> knee), shank ``s`` (knee -> ankle) and
    the world's downward reference ``g`` (3,), both projected onto the plane
    perpendicular to ``u``: ``s_p = s - (s.u)u``, ``g_p = g - (g.u)u``; the
    angle is ``atan2(u . (g_p x s_p), g_p . s_p)``, positive when the shank
    turns toward world +x (lateral for the left leg), then signed per side so
    that lateral = internal. Independent of where the camera stands.
    """
    xyz = world[..., :3]
    u = thigh_axis(world)
    s = xyz[:, ANKLE] - xyz[:, KNEE]
    g = np.broadcast_to(np.asarray(down, dtype=np.float64), s.shape)
    s_p = s - np.sum(s * u, axis=-1, keepdims=True) * u
    g_p = g - np.sum(g * u, axis=-1, keepdims=True) * u
    sin = np.sum(u * np.cross(g_p, s_p), axis=-1)
    cos = np.sum(g_p * s_p, axis=-1)
    return LATERAL_SIGN * np.degrees(np.arctan2(sin, cos))


def knee_flexion_deg(world: np.ndarray) -> np.ndarray:
    """(n, 2) knee flexion in 3-D: 0 = straight leg, 90 = shank perpendicular to thigh."""
    xyz = world[..., :3]
    u = thigh_axis(world)
    s = _unit(xyz[:, ANKLE] - xyz[:, KNEE])
    return np.degrees(np.arccos(np.clip(np.sum(u * s, axis=-1), -1.0, 1.0)))


def thigh_heading_deg(world: np.ndarray) -> np.ndarray:
    """(n, 2) horizontal heading of each thigh from the direction toward the camera (world -z).

    ``atan2(u_x, -u_z)``: 0 = pointing at the camera, ``+`` toward image right.
    The thigh's up-down tilt is left out on purpose: MediaPipe world hips sit
    well above the knees of a seated person (~25 deg), which is not the camera's fault.
    """
    u = thigh_axis(world)
    return np.degrees(np.arctan2(u[..., 0], -u[..., 2]))


def posture_px(image: np.ndarray, size_wh: tuple[int, int], reference_deg: float) -> dict[str, np.ndarray]:
    """Raw posture signals in pixels, in a frame turned so that "down" is true down.

    Returns a dict of arrays:
        hike_px (n,): hip height difference, ``+`` = left hip higher.
        lean_deg (n,): hip-midpoint -> shoulder-midpoint line from true up, ``+`` toward image right
            (the subject's left).
        knee_px (n, 2): each knee's sideways offset from its own hip, ``+`` = lateral (its own
            hip, not the midpoint, so the other leg's hip landmark, which MediaPipe drags along
            when that leg rotates, does not move it).
        shank_px (n, 2): knee -> ankle length on screen (the scale of the other two).
        knee_offset_px (n, 2, 2): knee - own hip in pixels (unrotated), for the knee anchor.
    """
    px = to_pixels(image, size_wh, np.concatenate([HIP, KNEE, ANKLE, SHOULDER]))
    hip, knee, ankle, shoulder = px[:, 0:2], px[:, 2:4], px[:, 4:6], px[:, 6:8]  # (n, 2 sides, 2 xy)
    r = np.radians(reference_deg)
    down = np.array([np.sin(r), np.cos(r)])  # true down in the image
    right = np.array([np.cos(r), -np.sin(r)])  # true horizontal, toward image right
    hip_down, hip_right = hip @ down, hip @ right  # (n, 2) each
    trunk = shoulder.mean(axis=1) - hip.mean(axis=1)  # hip midpoint -> shoulder midpoint
    return {
        "hike_px": hip_down[:, 1] - hip_down[:, 0],
        "lean_deg": np.degrees(np.arctan2(trunk @ right, -(trunk @ down))),
        "knee_px": (knee @ right - hip_right) * LATERAL_SIGN,
        "shank_px": np.linalg.norm(ankle - knee, axis=-1),
        "knee_offset_px": knee - hip,
    }
