"""Where the camera stands, from the subject's neutral (calibration) pose.

Pure numpy, from the quiet frames that :func:`~hiprom.kinematics.neutral.estimate_neutral`
picks, and shared by the offline analysis and the live calibration:

- **yaw** (deg, ``+`` = the camera moved toward the subject's right side, 0 =
  straight in front): the mean of two cues to where the thighs, which point
  straight ahead of a seated subject, are heading. (1) MediaPipe's world
  landmarks, levelled first with the measured "down" (the resting shanks) so
  camera roll and pitch do not leak in: the thighs' horizontal heading.
  (2) The image: the knees' sideways offset from the hips, ``T sin(yaw)`` on
  screen, over the shank's length on screen, with the thigh-to-shank length
  ratio ``T / L`` of the same subject's world landmarks, solved with pinhole
  geometry. Over the 26 rendered runs the pose model tracked steadily (0, +20,
  -12 deg, and variants) the mean erred by 3.5 deg on average and at most 7.5;
  the hip line alone (the old estimate) by 4.2 and 11.7 (``docs/accuracy.md``).
- **distance** (m, horizontal, camera to knees): the shank's length in metres
  (world landmarks) over its length in pixels, times the focal length in
  pixels. The focal length of a webcam is not known, so a typical laptop
  camera's horizontal field of view, ``ASSUMED_HFOV_DEG``, is assumed: a
  narrower lens or a cropped picture reads proportionally nearer.
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
"""Horizontal field of view assumed for distance (typical built-in laptop camera: 60-65 deg)."""
SOLE_M = 0.03
"""Heel landmark to floor (sole and heel pad), added to the knee height."""


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


def _image_yaw_deg(
    px: np.ndarray, size_wh: tuple[int, int], reference_deg: float, m_per_px: float, thigh_m: float, focal_px: float
) -> float:
    """Yaw from the knees' sideways place against the hips in the image, by pinhole geometry.

    With image offsets ``x`` from the picture's centre (along true horizontal),
    depth ``Z`` and focal length ``f``, a point lies at ``X = x Z / f``. The
    knees are at ``Z_k = f L / L_px`` (shank ``L`` metres over ``L_px``
    pixels, so ``Z_k / f = m_per_px``) and the hips a horizontal thigh length
    ``T`` farther, ``Z_h = Z_k + T cos(yaw)``; the thigh's sideways part is
    ``X_k - X_h = T sin(yaw)``. Solved by two fixed-point steps from ``cos = 1``.
    """
    w, h = size_wh
    r = math.radians(reference_deg)
    across = np.array([math.cos(r), -math.sin(r)])
    centre = np.array([w / 2.0, h / 2.0])
    x_knee = _median((px[:, geo.KNEE] - centre).mean(axis=1) @ across)
    x_hip = _median((px[:, geo.HIP] - centre).mean(axis=1) @ across)
    if not (thigh_m > 0 and np.isfinite([x_knee, x_hip, m_per_px]).all()):
        return float("nan")
    cos = 1.0
    for _ in range(2):
        sin = (x_knee * m_per_px - x_hip * (m_per_px + thigh_m * cos / focal_px)) / thigh_m
        sin = float(np.clip(sin, -1.0, 1.0))
        cos = math.sqrt(1.0 - sin * sin)
    return math.degrees(math.asin(sin))


def estimate_camera(
    image: np.ndarray, world: np.ndarray, size_wh: tuple[int, int], down_world: np.ndarray, reference_deg: float
) -> CameraEstimate:
    """Camera yaw, height and distance from quiet (neutral) frames (n, 33, 4), un-mirrored.

    ``down_world`` is the unit "down" in world coordinates (the resting shanks),
    ``reference_deg`` the image angle of true down (camera roll).
    """
    if image.shape[0] == 0:
        return CameraEstimate()
    xyz = world[..., :3] @ level_frame(down_world).T  # (n, 33, 3), y = down
    thigh = xyz[:, geo.KNEE] - xyz[:, geo.HIP]  # (n, 2, 3)
    heading = np.degrees(np.arctan2(thigh[..., 0], -thigh[..., 2]))  # 0 = toward the camera, + = image right
    px = geo.to_pixels(image, size_wh)
    shank_px = _median(np.linalg.norm(px[:, geo.ANKLE] - px[:, geo.KNEE], axis=-1))
    shank_m = _median(np.linalg.norm(world[:, geo.ANKLE, :3] - world[:, geo.KNEE, :3], axis=-1))
    thigh_m = _median(np.linalg.norm(thigh[..., [0, 2]], axis=-1))  # horizontal thigh length T
    w, h = size_wh
    focal_px = (w / 2.0) / math.tan(math.radians(ASSUMED_HFOV_DEG / 2.0))
    seen = _image_yaw_deg(px, size_wh, reference_deg, shank_m / shank_px, thigh_m, focal_px)
    yaw = _median(np.array([_median(heading.mean(axis=1)), seen]))  # the mean of two values; NaN ones skipped

    distance = focal_px * shank_m / shank_px if shank_px > 0 else float("nan")

    knee = np.array([_median(px[:, geo.KNEE, 0]), _median(px[:, geo.KNEE, 1])])
    ray = np.array([(knee[0] - w / 2.0) / focal_px, (knee[1] - h / 2.0) / focal_px, 1.0])
    ray /= np.linalg.norm(ray)
    elevation = math.asin(float(np.clip(ray @ (np.asarray(down_world) / np.linalg.norm(down_world)), -1.0, 1.0)))
    knee_height = _median(xyz[:, geo.HEEL, 1] - xyz[:, geo.KNEE, 1]) + SOLE_M
    height = knee_height + distance * math.tan(elevation)
    knees = np.stack([[_median(px[:, k, 0]), _median(px[:, k, 1])] for k in geo.KNEE])
    axes = swing_axes(down_world, yaw, knees, size_wh, focal_px)
    return CameraEstimate(yaw_deg=yaw, height_m=height, distance_m=distance, swing_axes=axes)


def swing_axes(
    down_world: np.ndarray,
    yaw_deg: float,
    knee_px: np.ndarray,
    size_wh: tuple[int, int],
    focal_px: float,
) -> np.ndarray:
    """(2 sides, 2, 2): on-screen directions ``A`` (across the thigh, horizontal) and ``B`` (down) at each knee.

    In camera coordinates (x right, y down, z away) the thigh of a subject
    facing a camera yawed by ``yaw`` heads ``(sin yaw, 0, -cos yaw)`` in the
    level frame (:func:`level_frame`), so across it is ``(cos yaw, 0, sin yaw)``;
    down is ``down_world``. A small step ``d`` at a point seen at ``(u, v) =
    (x, y) / f`` from the picture's centre moves on screen along
    ``(d_x - u d_z, d_y - v d_z)`` (pinhole). Both are turned so that ``B``
    points straight down, since the frontal method measures from the image's
    own "down" (the resting shanks, more precise than MediaPipe's depth), and
    scaled by ``1 / |B|``.
    """
    if not (np.isfinite(yaw_deg) and np.all(np.isfinite(knee_px))):
        return np.full((2, 2, 2), np.nan)
    level = level_frame(down_world)  # rows: level axes in camera coordinates
    psi = math.radians(yaw_deg)
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
