"""Where to sit and where the camera stands: the guided test's set-up checklist.

Judged on one frame (:class:`hiprom.live.guide.GuideInput`) with the guide's
thresholds (:class:`hiprom.live.guide.GuideConfig`): one person, the picture
the right way up, knees and ankles in view, sitting square, a sensible distance and, once it is known,
the camera within the range where accuracy is validated; advice on a small picture, or on too few
pictures measured a second. The sentences about
the camera and the picture come from :mod:`hiprom.assessment.wording`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hiprom.assessment.wording import (
    NOBODY_IN_VIEW,
    VALIDATED_MIN_FPS,
    camera_advice,
    frame_rate_advice,
    picture_advice,
    turned_picture_advice,
)
from hiprom.kinematics.geometry import body_up_deg, circular_mean_deg, shank_direction_deg, to_pixels
from hiprom.landmarks import Landmark

if TYPE_CHECKING:
    from hiprom.live.guide import GuideConfig, GuideInput


def setup_checks(inp: GuideInput, cfg: GuideConfig, fps: float = math.inf) -> list[dict]:
    """The camera set-up checklist for one frame: id, label, ok, hint, required; ``fps``: the pictures
    measured a second lately.

    A check that is not ``required`` only advises: the test goes on when it fails."""
    checks = _placement_checks(inp, cfg)
    advice = picture_advice(inp.size_wh)
    if advice:
        checks.append({"id": "picture", "label": "Camera picture 640×480 or more", "ok": False, "hint": advice,
                       "required": False})
    rate = rate_check(fps)
    if rate:
        checks.append(rate)
    return checks


def rate_check(fps: float) -> dict | None:
    """The advice of too few pictures measured a second (``fps``) as a check that does not stop the test
    (:func:`~hiprom.assessment.wording.frame_rate_advice`), else None: at set-up, and once in a test that
    slowed down after it (the guide)."""
    advice = frame_rate_advice(fps)
    if not advice:
        return None
    return {"id": "rate", "label": f"{VALIDATED_MIN_FPS:g} pictures a second or more", "ok": False,
            "hint": advice, "required": False}


def _placement_checks(inp: GuideInput, cfg: GuideConfig) -> list[dict]:
    """The required checks: one person, legs in view, sitting square, distance and (when known) the camera."""
    img = inp.image
    checks: list[dict] = []

    def add(cid: str, label: str, ok: bool, hint: str = "") -> None:
        checks.append({"id": cid, "label": label, "ok": bool(ok), "hint": "" if ok else hint, "required": True})

    if img is None or not np.isfinite(img[Landmark.LEFT_HIP, 0]):
        add("person", "One person in view", False, NOBODY_IN_VIEW)
        add("legs", "Knees and ankles in view", False, "Knees and feet must be visible.")
        add("square", "Sitting square to the camera", False, "Sit facing the camera.")
        add("distance", "Distance to the camera", False, "Sit where the camera sees you from shoulders to feet.")
        return checks
    add("person", "One person in view", inp.n_people <= 1, "More than one person in view: ask others to step out.")
    turned = picture_turned(img, inp.size_wh)
    add("upright", "Camera picture the right way up", turned is None, turned or "")
    if turned is not None:  # every other check reads the picture's up and down: they would only mislead
        return checks

    legs = [Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]
    pts = img[legs]
    inside = np.all((pts[:, 0] > 0.01) & (pts[:, 0] < 0.99) & (pts[:, 1] > 0.01) & (pts[:, 1] < 0.99))
    seen = np.all(pts[:, 3] >= cfg.visibility)
    add("legs", "Knees and ankles in view", bool(inside and seen), "Move the camera or chair so both knees and feet are in the picture.")

    # Judged against the body and the resting shanks, not the picture's edges: a laptop standing a little
    # askew (rolled up to 8 deg, which the measurement corrects) must not be taken for a person leaning, and
    # a turned foot moves the knee and ankle that the oblique flags and the shanks' tilt are read from.
    resting = [bool(np.isfinite(a) and abs(a) <= cfg.calibrate_max_deg) for a in np.asarray(inp.angle_deg, dtype=float)]
    px = to_pixels(img[None], inp.size_wh)[0]
    oblique = any(
        rest and ("camera_oblique" in f or "thigh_not_toward_camera" in f) for rest, f in zip(resting, inp.flags)
    )
    roll = _roll_deg(img, inp.size_wh) if all(resting) else 0.0
    leaning = _lean_deg(px) > cfg.max_tilt_deg
    add(
        "square",
        "Sitting square to the camera",
        not oblique and not abs(roll) > cfg.max_roll_deg and not leaning,
        "Turn the chair to face the camera and sit up straight." if oblique
        else "The camera is tilted: stand the laptop level." if abs(roll) > cfg.max_roll_deg
        else "Sit up straight and level, both hips on the seat.",
    )

    top = np.nanmean(img[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 1])
    bottom = np.nanmean(img[[Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE], 1])
    frac = float(bottom - top) if np.isfinite(top) and np.isfinite(bottom) else float("nan")
    if not np.isfinite(frac):
        add("distance", "Distance to the camera", False, "Move back until shoulders and feet are in the picture.")
    elif frac < cfg.min_body_frac:
        add("distance", "Distance to the camera", False, "Too far: move the chair closer to the camera.")
    elif frac > cfg.max_body_frac:
        add("distance", "Distance to the camera", False, "Too close: move the chair back a little.")
    else:
        add("distance", "Distance to the camera", True)
    if inp.camera is not None:
        cam = inp.camera
        advice = camera_advice(cam.get("yaw_deg"), cam.get("height_m"), cam.get("distance_m"))
        add("camera", "Camera where the measurement is accurate", not advice, " ".join(advice))
    return checks


def picture_turned(image: np.ndarray, size_wh: tuple[int, int]) -> str | None:
    """What to do when the person is upside down or on their side in the picture (``image``: (33, 4) of
    one frame); None when upright or nobody is seen. Such a picture cannot be measured."""
    return turned_picture_advice(float(body_up_deg(image[None], size_wh)[0]))


def _lean_deg(px: np.ndarray) -> float:
    """How far the trunk (hips' midpoint to shoulders' midpoint) leans from square to the hips' line, in
    the picture (deg, unsigned): a rolled camera turns both alike. 0 when the shoulders are not seen."""
    hips = px[Landmark.RIGHT_HIP] - px[Landmark.LEFT_HIP]
    trunk = (px[Landmark.LEFT_SHOULDER] + px[Landmark.RIGHT_SHOULDER] - px[Landmark.LEFT_HIP] - px[Landmark.RIGHT_HIP]) / 2
    norms = float(np.linalg.norm(hips) * np.linalg.norm(trunk))
    if not np.isfinite(norms) or norms == 0.0:
        return 0.0
    return math.degrees(math.asin(min(1.0, abs(float(hips @ trunk)) / norms)))


def _roll_deg(img: np.ndarray, size_wh: tuple[int, int]) -> float:
    """The camera's roll read from this frame's shanks (deg), as the measurement levels by it
    (``estimate_neutral``: the mean of both shanks' directions, in which each leg's splay cancels,
    wrapped, so an upside-down camera reads 180, not 0); meaningful only while both legs rest. 0 when a
    shank is not seen."""
    shanks = shank_direction_deg(img[None], size_wh)[0]
    return float(circular_mean_deg(shanks)) if np.all(np.isfinite(shanks)) else 0.0
