"""Accuracy of both methods on known geometry (hypothesis property tests, derandomised)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hiprom.kinematics import METHODS, KinematicsSettings, QualityFlag, measure
from hiprom.kinematics.geometry import (
    ANKLE,
    HIP,
    KNEE,
    circular_mean_deg,
    frontal_rotation_deg,
    world_rotation_deg,
)
from hiprom.synthetic import Body, Camera, project, seated_pose, seated_recording

from .conftest import LEVEL, SUBJECT, with_lead

PROPERTY = settings(
    derandomize=True, database=None, max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
angle = st.floats(-60.0, 60.0)
roll = st.floats(-10.0, 10.0)
LEG = np.concatenate([HIP, KNEE, ANKLE])


def _in_frame(image: np.ndarray) -> bool:
    xy = image[:, LEG, :2]
    return bool(np.all((xy > 0.0) & (xy < 1.0)))


@PROPERTY
@given(
    left=angle,
    right=angle,
    roll_deg=roll,
    scale=st.floats(0.75, 1.3),
    distance_m=st.floats(1.6, 3.5),
    height_m=st.floats(0.3, 0.8),
    width=st.integers(320, 1920),
    aspect=st.floats(9 / 16, 16 / 9),
)
def test_frontal_method_is_exact_on_a_level_camera(left, right, roll_deg, scale, distance_m, height_m, width, aspect):
    body = Body(
        hip_height_m=0.5 * scale,
        hip_half_width_m=0.09 * scale,
        knee_half_width_m=0.10 * scale,
        thigh_m=0.45 * scale,
        shank_m=0.42 * scale,
        trunk_m=0.5 * scale,
        shoulder_half_width_m=0.19 * scale,
    )
    camera = Camera(
        distance_m=distance_m,
        height_m=height_m,
        aim_height_m=height_m,  # level: any height (translation) keeps the image plane vertical
        roll_deg=roll_deg,
        width=width,
        height=int(round(width / aspect)),
    )
    rec = seated_recording(with_lead([[left, right]]), camera=camera, body=body)
    assume(_in_frame(rec.image))
    kin = measure(rec)
    assert abs(kin.reference_deg - roll_deg) < 0.05
    np.testing.assert_allclose(kin.frontal_deg[-1], [left, right], atol=0.5)
    assert METHODS[kin.method[-1, 0]] == "frontal"
    np.testing.assert_array_equal(kin.raw_deg[-1], kin.frontal_deg[-1])


@PROPERTY
@given(left=angle, right=angle, roll_deg=roll)
def test_mirrored_input_gives_the_same_per_side_numbers(left, right, roll_deg):
    rot = with_lead([[left, right]])
    plain = measure(seated_recording(rot, camera=Camera(roll_deg=roll_deg, **LEVEL)))
    selfie = seated_recording(rot, camera=Camera(roll_deg=roll_deg, mirrored=True, **LEVEL))
    assert selfie.mirrored
    np.testing.assert_allclose(measure(selfie).frontal_deg, plain.frontal_deg, atol=1e-9)
    np.testing.assert_allclose(measure(selfie, mirrored=True).world_deg, plain.world_deg, atol=1e-9)
    # Ignoring the flag gives plausible numbers with the sides swapped (a mirror image of a
    # person looks like a person): that is why the flag matters.
    unflipped = measure(selfie, mirrored=False)
    np.testing.assert_allclose(unflipped.frontal_deg[-1], [right, left], atol=0.5)


@PROPERTY
@given(value=angle, roll_deg=roll)
def test_swapping_the_moving_leg_moves_the_number_to_the_other_side(value, roll_deg):
    camera = Camera(roll_deg=roll_deg, **LEVEL)
    left = measure(seated_recording(with_lead([[value, 0.0]]), camera=camera)).frontal_deg[-1]
    right = measure(seated_recording(with_lead([[0.0, value]]), camera=camera)).frontal_deg[-1]
    np.testing.assert_allclose(left, [value, 0.0], atol=0.5)
    np.testing.assert_allclose(right, [0.0, value], atol=0.5)
    np.testing.assert_allclose(left, right[::-1], atol=1e-6)


@PROPERTY
@given(left=angle, right=angle, roll_deg=roll, yaw_deg=st.floats(-30.0, 30.0))
def test_world_method_is_within_1_degree_for_any_camera_yaw(left, right, roll_deg, yaw_deg):
    # The default (elevated, tilted) camera: the 3-D method does not care where it stands.
    camera = Camera(roll_deg=roll_deg, yaw_deg=yaw_deg)
    kin = measure(seated_recording(with_lead([[left, right]]), camera=camera, body=SUBJECT))
    np.testing.assert_allclose(kin.world_deg[-1], [left, right], atol=1.0)
    # The image midpoint of both shoulders is not quite the midpoint's image: up to 0.9 deg at 30 deg.
    assert abs(kin.neutral.camera_yaw_deg - yaw_deg) < 1.0


def test_oblique_camera_is_flagged_and_corrected_for_yaw(four_trials):
    _, rot = four_trials
    oblique = measure(seated_recording(rot, camera=Camera(yaw_deg=30, **LEVEL), body=SUBJECT))
    square = measure(seated_recording(rot))
    validated = measure(seated_recording(rot, camera=Camera(yaw_deg=20, **LEVEL), body=SUBJECT))
    assert np.all(oblique.flags & QualityFlag.CAMERA_OBLIQUE)
    assert not np.any(square.flags & QualityFlag.CAMERA_OBLIQUE)
    # 20 deg to the side is where accuracy is validated and the set-up step lets it through: not "too far".
    assert not np.any(validated.flags & QualityFlag.CAMERA_OBLIQUE)
    assert np.all(oblique.method == METHODS.index("frontal"))
    # Uncorrected, the swing seen at yaw 30 is foreshortened by cos 30: a material error.
    rec = seated_recording(rot, camera=Camera(yaw_deg=30, **LEVEL), body=SUBJECT)
    uncorrected = frontal_rotation_deg(rec.image, rec.size_wh, oblique.reference_deg)
    assert np.abs(uncorrected - rot).max() > 3.0
    assert np.abs(oblique.raw_deg - rot).max() < 1.2
    assert np.abs(oblique.world_deg - rot).max() < 1.0


@pytest.mark.parametrize("yaw_deg", [25.0, -25.0])
def test_desk_camera_to_one_side_is_corrected_for_yaw_and_elevation(four_trials, yaw_deg):
    """A camera 1.2 m high and 25 deg to the side: the cross term of yaw and elevation
    (up to 4.4 deg with the yaw correction alone) is undone with the estimated camera."""
    _, rot = four_trials
    rec = seated_recording(rot, camera=Camera(yaw_deg=yaw_deg, height_m=1.2), body=SUBJECT)
    kin = measure(rec)
    yaw_only = frontal_rotation_deg(rec.image, rec.size_wh, kin.reference_deg, yaw_deg=kin.neutral.camera_yaw_deg)
    assert np.abs(yaw_only - rot).max() > 3.0
    assert np.abs(kin.frontal_deg - rot).max() < 1.5


@pytest.mark.parametrize("pan_deg", [15.0, -15.0])
def test_a_subject_off_the_middle_of_the_picture_is_measured_as_one_in_it(four_trials, pan_deg):
    """A laptop 20 deg to the side and turned away, so that the person sits near the picture's edge: the
    swing is seen along the ray to the knees, not the lens's axis, and reads as with the person centred."""
    _, rot = four_trials
    off = measure(seated_recording(rot, camera=Camera(yaw_deg=20.0, pan_deg=pan_deg), body=SUBJECT))
    centred = measure(seated_recording(rot, camera=Camera(yaw_deg=20.0), body=SUBJECT))
    assert np.abs(off.frontal_deg - rot).max() < 1.5
    assert np.abs(off.frontal_deg - centred.frontal_deg).max() < 0.5


def test_default_elevated_camera_bias_is_small(four_trials):
    """The documented bias of the default camera (0.8 m high, 3 deg down-tilt): under 0.4 deg."""
    _, rot = four_trials
    kin = measure(seated_recording(rot))
    assert np.abs(kin.frontal_deg - rot).max() < 0.4


def test_pure_functions_match_the_definitions():
    # One frame, square-on level camera, left leg 30 deg internal, right 20 deg external.
    pts = seated_pose(np.array([[30.0, -20.0]]))
    camera = Camera(**LEVEL)
    image, world = project(pts, camera)
    size_wh = (camera.width, camera.height)
    np.testing.assert_allclose(frontal_rotation_deg(image, size_wh, 0.0)[0], [30.0, -20.0], atol=0.05)
    np.testing.assert_allclose(world_rotation_deg(world, np.array([0.0, 1.0, 0.0]))[0], [30.0, -20.0], atol=1e-9)


def test_non_square_pixels_are_handled_in_pixel_units():
    # The same picture stored at a different width: normalised x changes meaning, pixels do not.
    pts = seated_pose(np.array([[35.0, 25.0]]))
    for width, height in [(640, 480), (1280, 480), (480, 854)]:
        camera = Camera(width=width, height=height, **LEVEL)
        image, _ = project(pts, camera)
        np.testing.assert_allclose(frontal_rotation_deg(image, (width, height), 0.0)[0], [35.0, 25.0], atol=0.05)


def test_knee_anchor_undoes_a_knee_landmark_that_follows_the_foot(four_trials):
    """MediaPipe's knee drifts toward the swinging foot; anchoring it to its resting place helps."""
    _, rot = four_trials
    rec = seated_recording(rot)
    image = rec.image.copy()
    # Pull each knee landmark 30 % of the way toward its ankle, sideways only (like MediaPipe).
    image[:, KNEE, 0] += 0.3 * (image[:, ANKLE, 0] - image[:, KNEE, 0])
    biased = replace(rec, image=image)
    plain = measure(biased, settings=KinematicsSettings(knee_anchor=0.0)).frontal_deg
    anchored = measure(biased).frontal_deg
    assert np.abs(plain - rot).max() > 8.0
    assert np.abs(anchored - rot).max() < 0.6 * np.abs(plain - rot).max()
    # On true geometry the anchor changes nothing.
    unanchored = measure(rec, settings=KinematicsSettings(knee_anchor=0.0))
    np.testing.assert_allclose(measure(rec).frontal_deg, unanchored.frontal_deg, atol=1e-9)


@pytest.mark.parametrize(
    "angles, expected",
    [
        ([178.0, -178.0], 180.0),  # either side of the seam: upside down, not 0
        ([170.0, -176.0, np.nan], 177.0),
        ([-3.0, 7.0], 2.0),
        ([90.0, 100.0, np.nan, 110.0], 100.0),
    ],
)
def test_circular_mean_wraps_at_180(angles, expected):
    mean = float(circular_mean_deg(np.array(angles)))
    assert (mean - expected + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=1e-9)


def test_circular_mean_along_an_axis_and_of_nothing():
    np.testing.assert_allclose(circular_mean_deg(np.array([[10.0, 179.0], [20.0, -179.0]]), axis=0), [15.0, 180.0])
    assert np.isnan(circular_mean_deg(np.array([np.nan, np.nan])))
