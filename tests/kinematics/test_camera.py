"""Where the camera stands, estimated from the resting pose, live and offline alike."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hiprom.kinematics import LiveMeter, measure
from hiprom.kinematics.camera import KNEE_TO_SHOULDER_PER_SHANK, CameraEstimate
from hiprom.landmarks import Landmark
from hiprom.synthetic import SHOULDER_SETBACK_M, Body, Camera, seated_recording

from .conftest import SUBJECT

REST = np.zeros((40, 2))


@pytest.mark.parametrize(
    "camera",
    [
        Camera(),
        Camera(yaw_deg=20.0, height_m=0.75),
        Camera(yaw_deg=-12.0, height_m=1.2, distance_m=2.0),
        Camera(yaw_deg=25.0, height_m=0.5, distance_m=3.0, roll_deg=6.0),
        Camera(yaw_deg=-25.0, height_m=1.25, distance_m=1.6, mirrored=True),
        # A phone held upright: the same lens, its longer side now the height (before: 22.5 deg for 20).
        Camera(yaw_deg=20.0, height_m=0.75, width=360, height=640, focal_mm=30.0 * 640 / 360),
    ],
    ids=["front", "right-20", "desk-left-12", "low-far-rolled", "high-near-mirrored", "phone-upright-right-20"],
)
def test_camera_estimate_on_exact_geometry(camera):
    est = measure(seated_recording(REST, camera=camera, body=SUBJECT)).neutral.camera
    # Exact but for the image midpoint of both shoulders not being the midpoint's image (0.9 deg at 30 deg).
    assert est.yaw_deg == pytest.approx(camera.yaw_deg, abs=1.0)
    # The lens is assumed (62 deg): distance and height are coarse, but the right way round.
    assert est.distance_m == pytest.approx(camera.distance_m, rel=0.35)
    assert est.height_m == pytest.approx(camera.height_m, abs=0.35)


@pytest.mark.parametrize("yaw_deg", [20.0, -12.0])
def test_yaw_reads_in_proportion_to_where_the_shoulders_stand(yaw_deg):
    # The default body's shoulders stand farther behind the knees than the estimate assumes: the knees'
    # offset from them on screen is larger in proportion, and so is the yaw's sine.
    body = Body()
    knee_to_shoulder = math.sqrt(body.thigh_m**2 - (body.knee_half_width_m - body.hip_half_width_m) ** 2)
    ratio = (knee_to_shoulder + SHOULDER_SETBACK_M) / (KNEE_TO_SHOULDER_PER_SHANK * body.shank_m)
    est = measure(seated_recording(REST, camera=Camera(yaw_deg=yaw_deg), body=body)).neutral.camera
    assert est.yaw_deg == pytest.approx(math.degrees(math.asin(ratio * math.sin(math.radians(yaw_deg)))), abs=1.0)


@pytest.mark.parametrize(("yaw_deg", "pan_deg"), [(0.0, 12.0), (0.0, -12.0), (20.0, -12.0), (-12.0, 15.0)])
@pytest.mark.parametrize("shoulders_seen", [True, False], ids=["image", "world"])
def test_a_subject_off_the_middle_of_the_picture_reads_where_the_camera_stands(yaw_deg, pan_deg, shoulders_seen):
    # The laptop turned away in place: the person sits off-centre, but the camera stands where it stood, so
    # the set-up advice and the report must not change (before, the yaw followed the turn degree for degree).
    visibility = np.full((REST.shape[0], 33), 0.99)
    if not shoulders_seen:
        visibility[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = 0.2
    turned = Camera(yaw_deg=yaw_deg, pan_deg=pan_deg)
    est = measure(seated_recording(REST, camera=turned, body=SUBJECT, visibility=visibility)).neutral.camera
    aimed = measure(seated_recording(REST, camera=Camera(yaw_deg=yaw_deg), body=SUBJECT, visibility=visibility))
    assert est.yaw_deg == pytest.approx(yaw_deg, abs=1.0)
    assert est.yaw_deg == pytest.approx(aimed.neutral.camera.yaw_deg, abs=0.5)
    assert est.distance_m == pytest.approx(aimed.neutral.camera.distance_m, rel=0.02)


def test_without_the_shoulders_the_yaw_comes_from_the_world_thighs():
    # Shoulders cut off by the frame (MediaPipe then guesses them at low visibility): the levelled world
    # thighs' heading, which does not depend on where the shoulders stand, gives the yaw.
    visibility = np.full((REST.shape[0], 33), 0.99)
    visibility[:, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = 0.2
    rec = seated_recording(REST, camera=Camera(yaw_deg=20.0), body=Body(), visibility=visibility)
    assert measure(rec).neutral.camera.yaw_deg == pytest.approx(20.0, abs=0.5)


def test_live_calibration_gives_the_offline_camera():
    rec = seated_recording(REST, camera=Camera(yaw_deg=18.0, height_m=1.1), body=SUBJECT)
    meter = LiveMeter(calibration_s=10.0)
    for i in range(rec.n_frames):
        meter.update(rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh)
    live = meter.calibrate().camera
    offline = measure(rec).neutral.camera
    assert live.to_dict() == offline.to_dict()
    assert live.yaw_deg == pytest.approx(18.0, abs=2.0)


def test_the_set_up_estimate_is_the_calibration_one_and_leaves_the_meter_uncalibrated():
    rec = seated_recording(REST, camera=Camera(yaw_deg=-30.0), body=SUBJECT)
    meter = LiveMeter(calibration_s=10.0)
    assert meter.camera_estimate() is None  # no frame yet
    for i in range(rec.n_frames):
        meter.update(rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh)
    before = meter.camera_estimate()
    assert not meter.calibrated
    assert before.to_dict() == meter.calibrate().camera.to_dict()
    assert before.yaw_deg == pytest.approx(-30.0, abs=2.6)


def test_unknown_camera_is_null_in_json():
    assert CameraEstimate().to_dict() == {"yaw_deg": None, "height_m": None, "distance_m": None}
