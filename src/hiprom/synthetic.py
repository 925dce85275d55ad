"""Synthetic seated subjects built from known geometry: the ground truth.

One factory makes every synthetic pose that tests, benchmarks and the demo
sample use, so that "the true angle" means the same thing everywhere.

Subject frame (metres): X toward the subject's **left**, Y **up**, Z **forward**
(the way the subject faces). The subject sits with thighs horizontal along +Z
and shanks hanging vertically (-Y). Hip rotation by ``theta`` (degrees,
``+`` = internal) turns the shank and foot about the thigh (hip -> knee) axis so
that internal rotation swings the foot **laterally** (left leg toward +X,
right leg toward -X) and external rotation swings it medially.

The camera sits in front of the subject looking back at them; ``project``
turns subject-frame points into MediaPipe-like image and world landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from hiprom.landmarks import LEFT_RIGHT_SWAP, N_LANDMARKS, Landmark
from hiprom.recording import LandmarkRecording

L = Landmark
_LATERAL = np.array([1.0, -1.0])  # +X is lateral for the left leg, -X for the right


SHOULDER_SETBACK_M = 0.02
"""How far the shoulders sit behind the hip joints (an upright trunk)."""


@dataclass(frozen=True)
class Body:
    """Segment sizes of the synthetic subject, in metres."""

    hip_height_m: float = 0.50
    hip_half_width_m: float = 0.09
    knee_half_width_m: float = 0.10
    thigh_m: float = 0.45
    shank_m: float = 0.42
    trunk_m: float = 0.50
    shoulder_half_width_m: float = 0.19


def body_with_knee_to_shoulder(per_shank: float, body: Body = Body()) -> Body:
    """``body`` with the thigh length that puts the shoulders ``per_shank`` shank lengths behind the knees.

    Horizontally, along the way the subject faces. The camera-yaw estimate
    assumes such a distance (``hiprom.kinematics.camera.KNEE_TO_SHOULDER_PER_SHANK``);
    a subject built with it is the geometry that estimate solves exactly.
    """
    forward = per_shank * body.shank_m - SHOULDER_SETBACK_M
    sideways = body.knee_half_width_m - body.hip_half_width_m
    return replace(body, thigh_m=float(np.hypot(forward, sideways)))


@dataclass(frozen=True)
class Camera:
    """A pinhole camera in front of the seated subject.

    Attributes:
        distance_m: horizontal distance from the midpoint of the knees.
        height_m: height of the lens above the floor.
        yaw_deg: orbit about a vertical axis through the knees; 0 = straight in
            front, ``+`` = moved toward the subject's right side.
        roll_deg: rotation of the camera about its optical axis; ``+`` turns
            the picture counter-clockwise (the scene's vertical leans to the left).
        aim_height_m: height of the point the camera looks at, above the knees.
        pan_deg: the camera then turned in place about the vertical, ``+`` = to
            its right (the subject moves toward the picture's left edge); where
            it stands, and so its yaw, stays the same.
        focal_mm, sensor_width_mm: lens, giving the focal length in pixels.
        width, height: frame size in pixels.
        mirrored: the picture is flipped left-right (a selfie preview).
    """

    distance_m: float = 2.2
    height_m: float = 0.8
    yaw_deg: float = 0.0
    roll_deg: float = 0.0
    aim_height_m: float = 0.68
    pan_deg: float = 0.0
    focal_mm: float = 30.0
    sensor_width_mm: float = 36.0
    width: int = 640
    height: int = 480
    mirrored: bool = False

    @property
    def focal_px(self) -> float:
        """Focal length in pixels (square pixels)."""
        return self.focal_mm / self.sensor_width_mm * self.width


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rotate(v: np.ndarray, axis: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Rodrigues: rotate vectors ``v`` (..., 3) about unit ``axis`` (..., 3) by ``angle_rad`` (...)."""
    c = np.cos(angle_rad)[..., None]
    s = np.sin(angle_rad)[..., None]
    dot = np.sum(axis * v, axis=-1, keepdims=True)
    return v * c + np.cross(axis, v) * s + axis * dot * (1.0 - c)


def seated_pose(
    rotation_deg: np.ndarray,
    body: Body = Body(),
    pelvis_hike_m: np.ndarray | float = 0.0,
    trunk_lean_deg: np.ndarray | float = 0.0,
    knee_drift_m: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Subject-frame positions (n, 33, 3) in metres of a seated subject.

    Args:
        rotation_deg: (n, 2) hip rotation per frame, columns (left, right),
            ``+`` = internal (foot swings laterally).
        pelvis_hike_m: (n, 2) or scalar, how far each hip is lifted off the seat.
        trunk_lean_deg: (n,) or scalar, sideways lean of the trunk about the hip
            midpoint, ``+`` = toward the subject's left.
        knee_drift_m: (n, 2) or scalar, sideways slide of each knee, ``+`` = lateral.
    """
    rot = np.atleast_2d(np.asarray(rotation_deg, dtype=np.float64))
    if rot.ndim != 2 or rot.shape[1] != 2:
        raise ValueError(f"rotation_deg must have shape (n_frames, 2), but got shape {rot.shape}")
    n = rot.shape[0]
    hike = np.broadcast_to(np.asarray(pelvis_hike_m, dtype=np.float64), (n, 2))
    drift = np.broadcast_to(np.asarray(knee_drift_m, dtype=np.float64), (n, 2))
    lean = np.deg2rad(np.broadcast_to(np.asarray(trunk_lean_deg, dtype=np.float64), (n,)))
    b = body
    pts = np.zeros((n, N_LANDMARKS, 3))
    down = np.array([0.0, -1.0, 0.0])

    # Hip joint centres, lifted by the pelvis hike: (n, 2, 3), columns (left, right).
    hip = np.zeros((n, 2, 3))
    hip[..., 0] = _LATERAL * b.hip_half_width_m
    hip[..., 1] = b.hip_height_m + hike
    # Knees: forward of the hips at seat height, slid sideways by the drift.
    knee = np.zeros((n, 2, 3))
    knee[..., 0] = _LATERAL * (b.knee_half_width_m + drift)
    knee[..., 1] = b.hip_height_m
    knee[..., 2] = np.sqrt(b.thigh_m**2 - (knee[..., 0] - hip[..., 0]) ** 2 - (knee[..., 1] - hip[..., 1]) ** 2)
    thigh = _unit(knee - hip)
    # Neutral shank: straight down, made perpendicular to the thigh (knee at 90 deg).
    neutral = _unit(down - thigh * np.sum(thigh * down, axis=-1, keepdims=True))
    # Internal rotation turns the shank about the thigh axis toward lateral:
    # about +Z a positive angle takes -Y toward +X, lateral for the left leg only.
    angle = np.deg2rad(rot) * _LATERAL
    shank = _rotate(neutral, thigh, angle)
    foot_fwd = thigh  # the foot points along the thigh; turning about that axis leaves it
    ankle = knee + b.shank_m * shank
    heel = ankle + 0.05 * shank - 0.05 * foot_fwd
    toe = ankle + 0.06 * shank + 0.16 * foot_fwd

    for side, (h, k, a, he, t) in enumerate(
        [
            (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
            (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
        ]
    ):
        pts[:, h] = hip[:, side]
        pts[:, k] = knee[:, side]
        pts[:, a] = ankle[:, side]
        pts[:, he] = heel[:, side]
        pts[:, t] = toe[:, side]

    # Upper body, leaning sideways about the hip midpoint (rotation about +Z).
    pelvis_mid = hip.mean(axis=1)
    upper = np.zeros((N_LANDMARKS, 3))
    sw, tr = b.shoulder_half_width_m, b.trunk_m
    upper[L.LEFT_SHOULDER] = (sw, tr, -SHOULDER_SETBACK_M)
    upper[L.RIGHT_SHOULDER] = (-sw, tr, -SHOULDER_SETBACK_M)
    upper[L.LEFT_ELBOW] = (sw + 0.03, tr - 0.28, 0.02)
    upper[L.RIGHT_ELBOW] = (-sw - 0.03, tr - 0.28, 0.02)
    upper[L.LEFT_WRIST] = (sw, 0.05, 0.22)
    upper[L.RIGHT_WRIST] = (-sw, 0.05, 0.22)
    upper[L.NOSE] = (0.0, tr + 0.22, 0.10)
    # Eyes (1-6), ears (7, 8) and mouth corners (9, 10); odd = the subject's left.
    for i, (x, y, z) in enumerate(
        [(0.02, 0.25, 0.09), (0.03, 0.25, 0.09), (0.045, 0.25, 0.08)]
        + [(-0.02, 0.25, 0.09), (-0.03, 0.25, 0.09), (-0.045, 0.25, 0.08)]
        + [(0.07, 0.24, 0.0), (-0.07, 0.24, 0.0), (0.025, 0.18, 0.09), (-0.025, 0.18, 0.09)],
        start=1,
    ):
        upper[i] = (x, tr + y, z)
    for i, wrist in zip(range(17, 23), [L.LEFT_WRIST, L.RIGHT_WRIST] * 3):  # hand points near the wrists
        upper[i] = upper[wrist] + (0.0, -0.02, 0.06)
    body_idx = [i for i in range(N_LANDMARKS) if i < 23]
    c, s = np.cos(lean)[:, None], np.sin(lean)[:, None]
    ux, uy = upper[body_idx, 0][None], upper[body_idx, 1][None]
    # A lean toward the left (+) tips the head toward +X: rotate by -lean about +Z.
    pts[:, body_idx, 0] = pelvis_mid[:, None, 0] + ux * c + uy * s
    pts[:, body_idx, 1] = pelvis_mid[:, None, 1] - ux * s + uy * c
    pts[:, body_idx, 2] = upper[body_idx, 2][None]
    return pts


def project(
    points: np.ndarray,
    camera: Camera = Camera(),
    body: Body = Body(),
    visibility: np.ndarray | float = 1.0,
    image_noise_px: float = 0.0,
    world_noise_m: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Project subject-frame points (n, 33, 3) to MediaPipe-like landmarks.

    Returns ``(image, world)``, each (n, 33, 4): image x, y normalised to the
    frame (y down), z relative depth in x's scale; world in metres from the hip
    midpoint along the axes of the camera aimed at the knees (x right, y down,
    z away; ``pan_deg`` does not turn them); visibility last.
    Noise is Gaussian, in pixels for the image and metres for the world.
    """
    pts = np.asarray(points, dtype=np.float64)
    n = pts.shape[0]
    yaw = np.deg2rad(camera.yaw_deg)
    knee_mid_z = body.thigh_m  # the knees sit about one thigh length forward
    centre = np.array([-camera.distance_m * np.sin(yaw), camera.height_m, knee_mid_z + camera.distance_m * np.cos(yaw)])
    aim = np.array([0.0, camera.aim_height_m, knee_mid_z])
    rel = pts - centre

    def camera_axes(f: np.ndarray) -> np.ndarray:
        """``rel`` in the axes of a camera looking along ``f`` (x right, y down, z away), rolled."""
        r = _unit(np.cross(f, [0.0, 1.0, 0.0]))
        d = np.cross(f, r)
        xc, yc, zc = rel @ r, rel @ d, rel @ f
        roll = np.deg2rad(camera.roll_deg)
        # Rolling the camera by +roll turns the picture counter-clockwise on screen.
        return np.stack([xc * np.cos(roll) + yc * np.sin(roll), -xc * np.sin(roll) + yc * np.cos(roll), zc], axis=-1)

    aimed = _unit(aim - centre)
    pan = np.deg2rad(camera.pan_deg)
    up = np.array([0.0, 1.0, 0.0])
    # Rodrigues about "down" (-up): + pan turns the view toward its right.
    turned = aimed * np.cos(pan) + np.cross(aimed, up) * np.sin(pan) + up * (up @ aimed) * (1.0 - np.cos(pan))
    cam = camera_axes(turned)
    xr, yr, zc = cam[..., 0], cam[..., 1], cam[..., 2]
    # MediaPipe reads the body's depth from its own crop, as if the camera looked straight at it: the
    # world landmarks keep the aimed camera's axes, however the camera is turned.
    sight = camera_axes(aimed)
    fpx = camera.focal_px
    hip_mid = cam[:, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=1, keepdims=True)
    rng = rng if rng is not None else np.random.default_rng(0)
    vis = np.broadcast_to(np.asarray(visibility, dtype=np.float64), (n, N_LANDMARKS))

    image = np.empty((n, N_LANDMARKS, 4))
    u = fpx * xr / zc + camera.width / 2 + rng.normal(0.0, image_noise_px, xr.shape) * (image_noise_px > 0)
    v = fpx * yr / zc + camera.height / 2 + rng.normal(0.0, image_noise_px, yr.shape) * (image_noise_px > 0)
    image[..., 0] = u / camera.width
    image[..., 1] = v / camera.height
    image[..., 2] = (zc - hip_mid[..., 2]) * fpx / hip_mid[..., 2] / camera.width
    image[..., 3] = vis
    world = np.empty((n, N_LANDMARKS, 4))
    world[..., :3] = sight - sight[:, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=1, keepdims=True)
    if world_noise_m > 0:
        world[..., :3] += rng.normal(0.0, world_noise_m, world[..., :3].shape)
    world[..., 3] = vis
    if camera.mirrored:
        # A mirrored picture: x flips, and the model labels each leg as the other.
        image = image[:, LEFT_RIGHT_SWAP]
        image[..., 0] = 1.0 - image[..., 0]
        world = world[:, LEFT_RIGHT_SWAP]
        world[..., 0] = -world[..., 0]
    return image, world


@dataclass(frozen=True)
class Trial:
    """One planned movement of a protocol: a side, a direction and a held peak."""

    side: str
    direction: str
    peak_deg: float


def protocol(
    trials: list[Trial],
    fps: float = 30.0,
    lead_s: float = 1.5,
    ramp_s: float = 0.4,
    hold_s: float = 1.2,
    rest_s: float = 0.8,
    both_legs: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """A rotation time series that performs ``trials`` one after another.

    Each trial ramps from neutral to its peak over ``ramp_s``, holds it for
    ``hold_s``, ramps back and rests ``rest_s``. With ``both_legs`` the trials
    are taken in pairs that run at the same time (one per side).

    Returns ``(t_s, rotation_deg)``: (n,) seconds and (n, 2) degrees, columns
    (left, right), ``+`` = internal.
    """
    groups = [trials[i : i + 2] for i in range(0, len(trials), 2)] if both_legs else [[t] for t in trials]
    seg = ramp_s * 2 + hold_s + rest_s
    total = lead_s + seg * len(groups) + 1.0
    n = int(round(total * fps))
    t = np.arange(n) / fps
    rot = np.zeros((n, 2))
    for g, group in enumerate(groups):
        t0 = lead_s + g * seg
        # Trapezoid: ramp up, hold, ramp down (a smooth cosine ramp, like a person).
        up = np.clip((t - t0) / ramp_s, 0.0, 1.0)
        dn = np.clip((t - (t0 + ramp_s + hold_s)) / ramp_s, 0.0, 1.0)
        shape = 0.5 - 0.5 * np.cos(np.pi * up) - (0.5 - 0.5 * np.cos(np.pi * dn))
        for trial in group:
            col = 0 if trial.side == "left" else 1
            sign = 1.0 if trial.direction == "internal" else -1.0
            rot[:, col] += sign * trial.peak_deg * shape
    return t, rot


def seated_recording(
    rotation_deg: np.ndarray,
    fps: float = 30.0,
    camera: Camera = Camera(),
    body: Body = Body(),
    image_noise_px: float = 0.0,
    world_noise_m: float = 0.0,
    visibility: np.ndarray | float = 0.99,
    seed: int = 0,
    source: str = "synthetic",
    **compensation: np.ndarray | float,
) -> LandmarkRecording:
    """A whole ``LandmarkRecording`` of a synthetic seated subject.

    ``compensation`` takes ``pelvis_hike_m``, ``trunk_lean_deg`` and
    ``knee_drift_m`` as in :func:`seated_pose`.
    """
    rot = np.atleast_2d(np.asarray(rotation_deg, dtype=np.float64))
    pts = seated_pose(rot, body=body, **compensation)
    image, world = project(
        pts,
        camera=camera,
        body=body,
        visibility=visibility,
        image_noise_px=image_noise_px,
        world_noise_m=world_noise_m,
        rng=np.random.default_rng(seed),
    )
    n = rot.shape[0]
    return LandmarkRecording(
        t_ms=np.arange(n) * 1000.0 / fps,
        image=image,
        world=world,
        width=camera.width,
        height=camera.height,
        fps=fps,
        mirrored=camera.mirrored,
        model="synthetic",
        source=source,
    )


@dataclass(frozen=True)
class Rep:
    """One planned repetition of a seated exercise (chair rotation).

    Attributes:
        peak_deg: the held angle, a positive magnitude in the exercise's direction.
        hold_s: how long the end position is held (the plateau of the trapezoid).
        pelvis_hike_m: the exercised side's hip lifted off the seat this far during the rep.
        trunk_lean_deg: sideways trunk lean during the rep, ``+`` toward the subject's left.
    """

    peak_deg: float
    hold_s: float
    pelvis_hike_m: float = 0.0
    trunk_lean_deg: float = 0.0


def exercise_protocol(
    reps: list[Rep],
    side: str = "left",
    direction: str = "internal",
    fps: float = 30.0,
    lead_s: float = 3.0,
    ramp_s: float = 0.5,
    rest_s: float = 1.5,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """A seated exercise with known repetitions: ramp, hold ``rep.hold_s``, ramp back, rest.

    Compensation rises and settles with its rep's movement (over the ramps), like a
    person lifting a hip to reach further. The still ``lead_s`` lets the kernel find
    the neutral posture.

    Returns ``(t_s, rotation_deg, compensation)``: (n,) seconds, (n, 2) degrees,
    columns (left, right), ``+`` internal, and the keyword arguments of
    :func:`seated_pose` (``pelvis_hike_m`` (n, 2), ``trunk_lean_deg`` (n,)), so that
    ``seated_recording(rotation_deg, fps=fps, **compensation)`` records it.
    """
    col = 0 if side == "left" else 1
    sign = 1.0 if direction == "internal" else -1.0
    starts = lead_s + np.concatenate([[0.0], np.cumsum([2 * ramp_s + r.hold_s + rest_s for r in reps])])
    n = int(round((starts[-1] + 1.0) * fps))
    t = np.arange(n) / fps
    rot = np.zeros((n, 2))
    hike = np.zeros((n, 2))
    lean = np.zeros(n)
    for rep, t0 in zip(reps, starts[:-1]):
        up = np.clip((t - t0) / ramp_s, 0.0, 1.0)
        dn = np.clip((t - (t0 + ramp_s + rep.hold_s)) / ramp_s, 0.0, 1.0)
        shape = 0.5 - 0.5 * np.cos(np.pi * up) - (0.5 - 0.5 * np.cos(np.pi * dn))
        rot[:, col] += sign * rep.peak_deg * shape
        hike[:, col] += rep.pelvis_hike_m * shape
        lean += rep.trunk_lean_deg * shape
    return t, rot, {"pelvis_hike_m": hike, "trunk_lean_deg": lean}
