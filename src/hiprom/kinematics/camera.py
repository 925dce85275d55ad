"""Where the camera stands, from the subject's neutral (calibration) pose.

Pure numpy, from the quiet frames that :func:`~hiprom.kinematics.neutral.estimate_neutral`
picks, and shared by the offline analysis and the live calibration:

- **yaw** (deg, ``+`` = the camera moved toward the subject's right side, 0 =
  straight in front): where the thighs, which point straight ahead of a seated
  subject, are heading against the line of sight from the knees to the camera.
  Their heading against the lens's axis is seen in the image as the knees'
  sideways place against the shoulders, which sit above the hips a known
  horizontal distance behind the knees (``KNEE_TO_SHOULDER_PER_SHANK`` shank
  lengths), solved with pinhole geometry; the knees' direction from that axis
  is added, so a person off the picture's middle (the laptop turned away)
  reads where the camera stands, not where it points. The shoulders, not the
  hips: against the hips' image landmarks, half hidden behind the lap, oblique
  cameras read 18-28 % short. Only pixels and the camera's roll and pitch
  enter, not MediaPipe's depth, whose thighs on blurred or 320x240 pictures
  tilt 24-40 deg down and head 4-12 deg short. The levelled world thighs'
  heading is the fallback when the shoulders are not seen (MediaPipe's depth
  is read from its crop, along the line of sight already). Over the 60 runs of
  the rendered benchmark (0, +20, -12 deg, variants, the camera turned 12 deg
  or tilted 8 deg in place among them) it errs by 1.1 deg on average and at
  most 4.3; against the lens's axis the turned runs read 7-12 deg off
  (``docs/accuracy.md``).
- **distance** (m, horizontal, camera to knees): the shank's length in metres
  (world landmarks) over its length in pixels, times the focal length in
  pixels. The focal length of a webcam is not known, so a typical laptop
  camera's field of view, ``ASSUMED_HFOV_DEG``, is assumed across the picture's
  longer side (the height of a phone held upright): a narrower lens or a cropped
  picture reads proportionally nearer.
- **height** (m above the floor): the knees' height (heel to knee along "down")
  plus the camera's elevation seen from the knees (the ray to the knees against
  the levelled horizontal) times the distance. It inherits the tilt error of
  MediaPipe's depth, 0.23 m on average on the rendered runs (0.35 on a clip,
  more on failed tracks): enough to tell a camera on the floor from one on a
  desk, not finer.
- **swing axes**: how each shank's swing appears on screen, for the frontal
  method's oblique-camera correction (:func:`swing_axes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hiprom.kinematics import geometry as geo
from hiprom.rounding import rounded

ASSUMED_HFOV_DEG = 62.0
"""Field of view assumed across the picture's longer side (typical built-in laptop camera: 60-65 deg
horizontally). A phone or tablet held upright turns its sensor, so there the longer side is the height:
taking the width read a rendered 9:16 crop 20 deg to the side at 24.6 deg and a held peak 4.8 deg wide
(2.0 and 3.3 deg with the height, ``docs/accuracy.md``)."""
SOLE_M = 0.03
"""Heel landmark to floor (sole and heel pad), added to the knee height."""
KNEE_TO_SHOULDER_PER_SHANK = 0.9
"""Horizontal knee-to-shoulder distance of a seated, upright subject as MediaPipe's landmarks show it, in
shank (knee-to-ankle) lengths. Anatomy says about 1.0 (the thigh is as long as the shank, 0.245 and 0.246
of stature in Drillis and Contini's segment table, and the shoulders sit above the hips); the landmarks
read it shorter, as both yaw cues read oblique cameras short. Solved from the true yaw on each run of the
two oblique rendered clips (``benchmarks/bench_yaw_ratio.py``): median 0.96 over gt10's 14 runs (camera
20 deg, 0.75 m high, older man in trousers) and 0.93 over gt11's 14 (-12 deg, 1.2 m, young woman in
shorts); 0.55-1.15 over single runs. The worst run decides: over all 60 runs the largest yaw error is
4.3 deg at 0.875-0.9, 4.6 at 0.95, 5.1 at 1.0."""


@dataclass(frozen=True)
class CameraEstimate:
    """The camera's position relative to the seated subject; NaN = unknown.

    Attributes:
        yaw_deg: ``+`` = camera toward the subject's right side, 0 = straight in front.
        height_m: camera height above the floor.
        distance_m: horizontal distance from the knees.
        swing_axes: (2 sides, 2, 2) how each shank's swing looks on screen (:func:`swing_axes`),
            for the frontal method; NaN = unknown. Not part of ``to_dict``.
    """

    yaw_deg: float = float("nan")
    height_m: float = float("nan")
    distance_m: float = float("nan")
    swing_axes: np.ndarray = field(default_factory=lambda: np.full((2, 2, 2), np.nan))

    def to_dict(self) -> dict[str, float | None]:
        """``{"yaw_deg", "height_m", "distance_m"}`` rounded, None where unknown."""

        return {"yaw_deg": rounded(self.yaw_deg, 1), "height_m": rounded(self.height_m, 2),
                "distance_m": rounded(self.distance_m, 2)}


def level_frame(down: np.ndarray) -> np.ndarray:
    """(3, 3) rotation whose rows are the levelled axes x, y = ``down``, z (the view direction made horizontal).

    ``xyz @ R.T`` expresses world points (camera-aligned: x right, y down, z
    away) in a frame whose y axis is true down and whose z axis is the camera's
    viewing direction turned level, so headings are measured from where the
    camera looks, whatever its roll and pitch.
    """
    y = np.asarray(down, dtype=np.float64)
    y = y / np.linalg.norm(y)
    z = np.array([0.0, 0.0, 1.0]) - y[2] * y
    z = z / np.linalg.norm(z)
    return np.stack([np.cross(y, z), y, z])


def _median(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def _level_rays(
    px: np.ndarray, size_wh: tuple[int, int], reference_deg: float, down_world: np.ndarray, focal_px: float
) -> np.ndarray:
    """(3, 3) rays from the lens to the knees, ankles and shoulders (median of the frames, midpoint of both
    sides), in the levelled frame (:func:`level_frame`: x right, y down, z the view made level).

    The frame is built from the image's own "down" (``reference_deg``, the
    camera roll: the shoulders stand high above the knees, so a roll error
    would tip them sideways) and the pitch of MediaPipe's "down" (``down_world``).
    ``reference_deg`` is measured along the resting shanks, which a pitched
    camera sees converging off the picture's middle: true down ``D`` looks
    like ``(D_x - u D_z, D_y - v D_z)`` at ``(u, v) = (x, y) / f`` (pinhole), so
    the roll is solved at the shanks' place (about 3.5 deg for a person a fifth
    of the width off-centre with a camera 15 deg down).
    """
    w, h = size_wh
    mid = np.stack([[_median(px[:, idx, 0].mean(axis=1)), _median(px[:, idx, 1].mean(axis=1))]
                    for idx in (geo.KNEE, geo.ANKLE, geo.SHOULDER)])  # (3 points, 2 xy): a handful of numbers
    uv = (mid - np.array([w / 2.0, h / 2.0])) / focal_px
    down = np.asarray(down_world, dtype=np.float64)
    sin_p = float(np.clip(down[2] / np.linalg.norm(down), -1.0, 1.0))
    cos_p = math.sqrt(1.0 - sin_p * sin_p)
    r = math.radians(reference_deg)
    u, v = uv[:2].mean(axis=0)  # the shanks' middle
    if np.isfinite(u + v) and cos_p > 0:
        r += math.asin(float(np.clip(sin_p * (u * math.cos(r) - v * math.sin(r)) / cos_p, -1.0, 1.0)))
    level = level_frame(np.array([math.sin(r) * cos_p, math.cos(r) * cos_p, sin_p]))
    return np.column_stack([uv, np.ones(3)]) @ level.T


def _image_heading_deg(rays: np.ndarray) -> float:
    """Where the thighs head against the camera's level view (deg, ``+`` = toward image right), from where
    the knees lie against the shoulders, by pinhole geometry on the :func:`_level_rays`.

    Put the knees ``K`` at unit depth on their ray (the scale cancels). The
    ankles hang straight below them: the ankle ray taken to the same
    horizontal distance gives the shank ``L`` as the difference of their
    drops. The shoulders ``S`` lie on their ray a horizontal ``T =
    KNEE_TO_SHOULDER_PER_SHANK L`` behind the knees (the farther root of
    ``|S_xz - K_xz| = T``); the thighs point from there to the knees,
    ``S - K = T (-sin heading, ., cos heading)``.
    """
    if not np.all(np.isfinite(rays)):
        return float("nan")
    knee, ankle, shoulder = rays
    reach = np.hypot(knee[0], knee[2]) / np.hypot(ankle[0], ankle[2])  # ankle range, straight below the knee
    thigh = KNEE_TO_SHOULDER_PER_SHANK * (reach * ankle[1] - knee[1])
    # |t shoulder_xz - knee_xz|^2 = thigh^2: a quadratic in t, the farther root.
    a = shoulder[0] ** 2 + shoulder[2] ** 2
    b = -2.0 * (shoulder[0] * knee[0] + shoulder[2] * knee[2])
    c = knee[0] ** 2 + knee[2] ** 2 - thigh**2
    disc = b * b - 4.0 * a * c
    if not (thigh > 0 and disc >= 0):
        return float("nan")
    back = (-b + math.sqrt(disc)) / (2.0 * a) * shoulder - knee
    return math.degrees(math.atan2(-back[0], back[2]))


def estimate_camera(
    image: np.ndarray,
    world: np.ndarray,
    size_wh: tuple[int, int],
    down_world: np.ndarray,
    reference_deg: float,
    min_visibility: float = 0.5,
) -> CameraEstimate:
    """Camera yaw, height and distance from quiet (neutral) frames (n, 33, 4), un-mirrored.

    ``down_world`` is the unit "down" in world coordinates (the resting shanks),
    ``reference_deg`` the image angle of true down (camera roll). Yaw, seen
    from the knees, comes from the image (knees against shoulders, plus the
    knees' direction from the lens's axis); when the shoulders are not seen
    (median visibility below ``min_visibility``, e.g. cut off by the frame),
    from the levelled world thighs instead. The swing axes take the heading
    against the lens's axis, which is what the picture shows.
    """
    if image.shape[0] == 0:
        return CameraEstimate()
    xyz = world[..., :3] @ level_frame(down_world).T  # (n, 33, 3), y = down
    px = geo.to_pixels(image, size_wh)
    shank_px = _median(np.linalg.norm(px[:, geo.ANKLE] - px[:, geo.KNEE], axis=-1))
    shank_m = _median(np.linalg.norm(world[:, geo.ANKLE, :3] - world[:, geo.KNEE, :3], axis=-1))
    w, h = size_wh
    focal_px = (max(w, h) / 2.0) / math.tan(math.radians(ASSUMED_HFOV_DEG / 2.0))  # a phone upright: its height
    rays = _level_rays(px, size_wh, reference_deg, down_world, focal_px)
    sight = math.atan2(rays[0, 0], rays[0, 2]) if np.all(np.isfinite(rays[0])) else 0.0  # knees right of the view
    heading = float("nan")
    if _median(image[:, geo.SHOULDER, 3].min(axis=1)) >= min_visibility:
        heading = _image_heading_deg(rays)
    yaw = heading + math.degrees(sight)
    if not np.isfinite(yaw):
        # MediaPipe reads the body from its own crop, as if looking straight at it: its thighs head
        # against the line of sight already (within 1 deg with the picture turned 12 deg).
        thigh = xyz[:, geo.KNEE] - xyz[:, geo.HIP]  # (n, 2, 3)
        yaw = _median(np.degrees(np.arctan2(thigh[..., 0], -thigh[..., 2])).mean(axis=1))  # + = image right
        heading = yaw - math.degrees(sight)

    distance = focal_px * shank_m / shank_px / math.cos(sight) if shank_px > 0 else float("nan")

    knee = np.array([_median(px[:, geo.KNEE, 0]), _median(px[:, geo.KNEE, 1])])
    ray = np.array([(knee[0] - w / 2.0) / focal_px, (knee[1] - h / 2.0) / focal_px, 1.0])
    ray /= np.linalg.norm(ray)
    elevation = math.asin(float(np.clip(ray @ (np.asarray(down_world) / np.linalg.norm(down_world)), -1.0, 1.0)))
    knee_height = _median(xyz[:, geo.HEEL, 1] - xyz[:, geo.KNEE, 1]) + SOLE_M
    height = knee_height + distance * math.tan(elevation)
    knees = np.stack([[_median(px[:, k, 0]), _median(px[:, k, 1])] for k in geo.KNEE])
    axes = swing_axes(down_world, heading, knees, size_wh, focal_px)
    return CameraEstimate(yaw_deg=yaw, height_m=height, distance_m=distance, swing_axes=axes)


def swing_axes(
    down_world: np.ndarray,
    heading_deg: float,
    knee_px: np.ndarray,
    size_wh: tuple[int, int],
    focal_px: float,
) -> np.ndarray:
    """(2 sides, 2, 2): on-screen directions ``A`` (across the thigh, horizontal) and ``B`` (down) at each knee.

    In camera coordinates (x right, y down, z away) a thigh heading ``h``
    (``heading_deg``: against the camera's level view, the yaw when the subject
    is in the middle of the picture) points along ``(sin h, 0, -cos h)`` in the
    level frame (:func:`level_frame`), so across it is ``(cos h, 0, sin h)``;
    down is ``down_world``. A small step ``d`` at a point seen at ``(u, v) =
    (x, y) / f`` from the picture's centre moves on screen along
    ``(d_x - u d_z, d_y - v d_z)`` (pinhole). Both are turned so that ``B``
    points straight down, since the frontal method measures from the image's
    own "down" (the resting shanks, more precise than MediaPipe's depth), and
    scaled by ``1 / |B|``.
    """
    if not (np.isfinite(heading_deg) and np.all(np.isfinite(knee_px))):
        return np.full((2, 2, 2), np.nan)
    level = level_frame(down_world)  # rows: level axes in camera coordinates
    psi = math.radians(heading_deg)
    across = level.T @ np.array([math.cos(psi), 0.0, math.sin(psi)])
    down = level.T @ np.array([0.0, 1.0, 0.0])
    w, h = size_wh
    out = np.empty((2, 2, 2))
    for side in range(2):  # two sides, two vectors: a fixed handful of numbers, not frames
        u, v = (knee_px[side, 0] - w / 2.0) / focal_px, (knee_px[side, 1] - h / 2.0) / focal_px
        a = np.array([across[0] - u * across[2], across[1] - v * across[2]])
        b = np.array([down[0] - u * down[2], down[1] - v * down[2]])
        turn = math.atan2(b[0], b[1])  # B's angle from image down
        c, s = math.cos(turn), math.sin(turn)
        rot = np.array([[c, -s], [s, c]])  # turns B back onto the measured down
        out[side] = np.stack([rot @ a, rot @ b]) / np.linalg.norm(b)
    return out
