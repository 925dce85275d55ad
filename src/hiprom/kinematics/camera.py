"""Where the camera stands, from the subject's neutral (calibration) pose.

Pure numpy, from the quiet frames that :func:`~hiprom.kinematics.neutral.estimate_neutral`
picks, and shared by the offline analysis and the live calibration:

- **yaw** (deg, ``+`` = the camera moved toward the subject's right side, 0 =
  straight in front): the horizontal heading of both thighs, which point
  straight ahead of a seated subject. MediaPipe's world landmarks are first
  levelled with the measured "down" (the resting shanks), so camera roll and
  pitch do not leak into the heading. On the rendered clips (0, +20 and -12 deg)
  this was within 1-7 deg; the hip line alone (the old estimate) erred by up to
  11 deg on the clip seen from a desk (``docs/accuracy.md``).
- **distance** (m, horizontal, camera to knees): the shank's length in metres
  (world landmarks) over its length in pixels, times the focal length in
  pixels. The focal length of a webcam is not known, so a typical laptop
  camera's horizontal field of view, ``ASSUMED_HFOV_DEG``, is assumed: a
  narrower lens or a cropped picture reads proportionally nearer.
- **height** (m above the floor): the knees' height (heel to knee along "down")
  plus the camera's elevation seen from the knees (the ray to the knees against
  the levelled horizontal) times the distance. It inherits the tilt error of
  MediaPipe's depth, about +-0.35 m on the rendered clips: good enough to tell
  a camera on the floor from one on a desk, not finer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hiprom.kinematics import geometry as geo

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
    """

    yaw_deg: float = float("nan")
    height_m: float = float("nan")
    distance_m: float = float("nan")

    def to_dict(self) -> dict[str, float | None]:
        """``{"yaw_deg", "height_m", "distance_m"}`` rounded, None where unknown."""

        def num(x: float, nd: int) -> float | None:
            return round(float(x), nd) if math.isfinite(x) else None

        return {"yaw_deg": num(self.yaw_deg, 1), "height_m": num(self.height_m, 2), "distance_m": num(self.distance_m, 2)}


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


def estimate_camera(
    image: np.ndarray, world: np.ndarray, size_wh: tuple[int, int], down_world: np.ndarray
) -> CameraEstimate:
    """Camera yaw, height and distance from quiet (neutral) frames (n, 33, 4), un-mirrored.

    ``down_world`` is the unit "down" in world coordinates (the resting shanks).
    """
    if image.shape[0] == 0:
        return CameraEstimate()
    xyz = world[..., :3] @ level_frame(down_world).T  # (n, 33, 3), y = down
    thigh = xyz[:, geo.KNEE] - xyz[:, geo.HIP]  # (n, 2, 3)
    heading = np.degrees(np.arctan2(thigh[..., 0], -thigh[..., 2]))  # 0 = toward the camera, + = image right
    yaw = _median(heading.mean(axis=1))

    w, h = size_wh
    focal_px = (w / 2.0) / math.tan(math.radians(ASSUMED_HFOV_DEG / 2.0))
    px = geo.to_pixels(image, size_wh)
    shank_px = np.linalg.norm(px[:, geo.ANKLE] - px[:, geo.KNEE], axis=-1)
    shank_m = np.linalg.norm(world[:, geo.ANKLE, :3] - world[:, geo.KNEE, :3], axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = _median(focal_px * shank_m / shank_px)

    knee = np.array([_median(px[:, geo.KNEE, 0]), _median(px[:, geo.KNEE, 1])])
    ray = np.array([(knee[0] - w / 2.0) / focal_px, (knee[1] - h / 2.0) / focal_px, 1.0])
    ray /= np.linalg.norm(ray)
    elevation = math.asin(float(np.clip(ray @ (np.asarray(down_world) / np.linalg.norm(down_world)), -1.0, 1.0)))
    knee_height = _median(xyz[:, geo.HEEL, 1] - xyz[:, geo.KNEE, 1]) + SOLE_M
    height = knee_height + distance * math.tan(elevation)
    return CameraEstimate(yaw_deg=yaw, height_m=height, distance_m=distance)
