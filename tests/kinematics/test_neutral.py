"""The neutral: camera roll, world down, yaw and posture baselines from the quiet frames."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.kinematics import KinematicsSettings, Neutral, estimate_neutral, measure
from hiprom.kinematics.neutral import robust_mode
from hiprom.synthetic import Camera, seated_recording

from .conftest import LEVEL, SUBJECT


@pytest.mark.parametrize(
    "values, expected",
    [
        ([0.0] * 10 + [5.0, 20.0, 30.0], 0.0),  # exact when most values agree
        ([3.0] * 6 + [2.5, 3.5] + [-40.0] * 5, 3.0),  # the densest place, not the median
        ([np.nan, 7.0, 7.0, np.nan], 7.0),
    ],
)
def test_robust_mode(values, expected):
    assert robust_mode(np.array(values), bandwidth=1.5) == pytest.approx(expected, abs=1e-9)


def test_robust_mode_of_nothing_is_nan():
    assert np.isnan(robust_mode(np.array([np.nan, np.nan]), bandwidth=1.5))


@pytest.mark.parametrize("roll_deg", [-10.0, -3.0, 0.0, 4.5, 10.0])
def test_reference_is_the_camera_roll_on_a_protocol(four_trials, roll_deg):
    _, rot = four_trials
    kin = measure(seated_recording(rot, camera=Camera(roll_deg=roll_deg, **LEVEL), image_noise_px=1.0, seed=3))
    assert kin.reference_deg == pytest.approx(roll_deg, abs=0.3)
    # world down follows the roll too (world axes turn with the camera)
    r = np.radians(roll_deg)
    np.testing.assert_allclose(kin.neutral.down_world, [np.sin(r), np.cos(r), 0.0], atol=1e-9)


@pytest.mark.parametrize("splay_deg", [0.0, 6.0])
@pytest.mark.parametrize("roll_deg", [178.0, 180.0, -180.0, 182.0, 135.0])
def test_an_upside_down_picture_measures_as_upright(four_trials, roll_deg, splay_deg):
    # A phone video stored upside down without its rotation tag: the resting shanks point near image-up,
    # either side of the +-180 seam (with a 6 deg splay each side lies on its own side of it).
    _, rot = four_trials
    upright = measure(seated_recording(rot + splay_deg, camera=Camera(**LEVEL), image_noise_px=1.0, seed=3))
    kin = measure(seated_recording(rot + splay_deg, camera=Camera(roll_deg=roll_deg, **LEVEL), image_noise_px=1.0,
                                   seed=3))
    assert (kin.reference_deg - roll_deg + 180.0) % 360.0 - 180.0 == pytest.approx(0.0, abs=0.3)
    assert kin.neutral.quiet_fraction == pytest.approx(upright.neutral.quiet_fraction, abs=0.02)
    for peak in (np.nanmax, np.nanmin):  # internal and external, per side
        np.testing.assert_allclose(peak(kin.angle_deg, axis=0), peak(upright.angle_deg, axis=0), atol=0.6)
        np.testing.assert_allclose(peak(kin.angle_deg, axis=0), peak(rot + splay_deg, axis=0), atol=1.5)


def test_symmetric_splay_cancels_in_the_reference(four_trials):
    # A subject whose resting shanks both point 6 deg outward: the roll is still 0 and each
    # side reads the splay as its own (internal) rotation, as a goniometer would.
    _, rot = four_trials
    kin = measure(seated_recording(rot + 6.0, camera=Camera(**LEVEL)))
    assert kin.reference_deg == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(kin.frontal_deg, rot + 6.0, atol=0.5)


def test_explicit_reference_overrides_the_estimate(four_trials):
    _, rot = four_trials
    rec = seated_recording(rot, camera=Camera(roll_deg=5.0, **LEVEL))
    assert measure(rec, reference=5.0).reference_deg == 5.0
    np.testing.assert_allclose(measure(rec, reference=5.0).frontal_deg, rot, atol=0.5)
    # a wrong reference shifts the two sides in opposite directions
    off = measure(rec, reference=0.0).frontal_deg - rot
    np.testing.assert_allclose(off.mean(axis=0), [5.0, -5.0], atol=0.5)
    given = Neutral.from_reference(5.0)
    assert measure(rec, reference=given).neutral is given


def test_no_measurable_frame_gives_the_default_neutral():
    rec = seated_recording(np.zeros((20, 2)), visibility=0.1)
    neutral = estimate_neutral(rec.image, rec.world, rec.size_wh, KinematicsSettings())
    assert neutral.n_frames == 0
    assert neutral.reference_deg == 0.0
    assert np.isnan(neutral.shank_px)


def test_neutral_validates_its_down_vector():
    with pytest.raises(ValueError, match="down_world"):
        Neutral(down_world=np.zeros(3))
    np.testing.assert_allclose(Neutral(down_world=np.array([0.0, 2.0, 0.0])).down_world, [0.0, 1.0, 0.0])


def test_camera_is_unknown_when_the_legs_never_rest(four_trials):
    # Both legs swinging all the time, out of step (an unsteady pose track looks like this): the legs
    # rest together in under min_quiet_fraction of the frames, so no camera is claimed from them.
    t = np.arange(600) / 30.0
    rot = np.column_stack([25.0 * np.sin(2 * np.pi * 0.37 * t), 25.0 * np.sin(2 * np.pi * 0.53 * t + 1.0)])
    unsteady = estimate_neutral(*_arrays(seated_recording(rot, camera=Camera(yaw_deg=15.0, **LEVEL))))
    assert unsteady.quiet_fraction < KinematicsSettings().min_quiet_fraction
    assert np.isnan([unsteady.camera.yaw_deg, unsteady.camera.height_m, unsteady.camera.distance_m]).all()
    assert unsteady.camera_yaw_deg == 0.0
    _, protocol_rot = four_trials
    oblique = Camera(yaw_deg=15.0, **LEVEL)
    steady = estimate_neutral(*_arrays(seated_recording(protocol_rot, camera=oblique, body=SUBJECT)))
    assert steady.camera.yaw_deg == pytest.approx(15.0, abs=3.0)


def _arrays(rec):
    return rec.image, rec.world, rec.size_wh


@pytest.mark.parametrize("roll_deg", [0.0, 6.0])
def test_one_leg_gives_the_neutral_when_the_other_is_crossed(roll_deg):
    """A counted exercise's lead-in with the other leg crossed (turned 35 deg) the whole time: from both
    legs the roll reads half the crossed leg's turn (17.6 deg) off; from the exercised leg alone it is
    that shank's rest, with posture baselines, and no camera position (which needs both knees)."""
    rot = np.zeros((60, 2))
    rot[:, 1] = -35.0
    rec = seated_recording(rot, fps=30.0, camera=Camera(roll_deg=roll_deg, **LEVEL), image_noise_px=0.6, seed=4)
    both = estimate_neutral(rec.image, rec.world, rec.size_wh)
    left = estimate_neutral(rec.image, rec.world, rec.size_wh, legs=(0,))
    assert abs(both.reference_deg - roll_deg) > 15.0
    assert left.n_frames == 60 and left.reference_deg == pytest.approx(roll_deg, abs=0.5)
    assert np.isfinite(left.hike_px) and np.isfinite(left.shank_px) and np.isnan(left.camera.yaw_deg)
    with pytest.raises(ValueError, match="legs must be"):
        estimate_neutral(rec.image, rec.world, rec.size_wh, legs=())
