"""LiveMeter: the same numbers as measure, one frame at a time."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hiprom.errors import NotMeasurableError
from hiprom.kinematics import COMPENSATION, LiveMeter, measure
from hiprom.synthetic import Camera, seated_recording

from .conftest import SUBJECT


def _replay(rec, meter, calibrate_at=None):
    readings = []
    for i in range(rec.n_frames):
        frame = (rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh)
        readings.append(meter.update(*frame, mirrored=rec.mirrored, n_people=rec.n_people[i]))
        if calibrate_at is not None and i == calibrate_at:
            meter.calibrate()
    return readings


def _stack(readings, name):
    return np.array([getattr(r, name) for r in readings])


@pytest.mark.parametrize(
    "camera",
    [Camera(roll_deg=4.0), Camera(yaw_deg=25.0), Camera(mirrored=True, roll_deg=-3.0)],
    ids=["roll", "oblique", "mirrored"],
)
def test_replay_gives_the_same_raw_numbers_as_measure(four_trials, camera):
    _, rot = four_trials
    rec = seated_recording(rot, camera=camera, body=SUBJECT, image_noise_px=1.5, world_noise_m=0.003)
    kin = measure(rec)
    live = _replay(rec, LiveMeter(neutral=kin.neutral))
    for name in ("raw_deg", "frontal_deg", "world_deg"):
        np.testing.assert_allclose(_stack(live, name), getattr(kin, name), rtol=0, atol=1e-9, err_msg=name)
    np.testing.assert_array_equal(_stack(live, "method"), kin.method)
    keep = ~np.uint32(COMPENSATION)
    np.testing.assert_array_equal(_stack(live, "flags") & keep, kin.flags & keep)
    # Smoothed: causal vs zero-phase, close except briefly during the fastest ramps.
    diff = np.abs(_stack(live, "angle_deg") - kin.angle_deg)
    assert np.median(diff) < 0.5
    assert np.percentile(diff, 95) < 3.0
    held = np.abs(rot) > 0.98 * np.abs(rot).max(axis=0)
    assert np.abs(_stack(live, "angle_deg")[held] - rot[held]).max() < 2.5


def test_calibrate_takes_the_neutral_from_recent_frames(four_trials):
    _, rot = four_trials
    rec = seated_recording(rot, camera=Camera(roll_deg=6.0, height_m=0.5, aim_height_m=0.5), image_noise_px=1.0)
    meter = LiveMeter(calibration_s=1.0)
    assert not meter.calibrated
    live = _replay(rec, meter, calibrate_at=40)  # within the 1.5 s neutral lead-in
    assert meter.calibrated and live[41].calibrated and not live[40].calibrated
    assert meter.neutral.reference_deg == pytest.approx(6.0, abs=0.5)
    # After calibration the live raw series equals measure's with the same neutral.
    kin = measure(rec, reference=meter.neutral)
    np.testing.assert_allclose(_stack(live, "raw_deg")[41:], kin.raw_deg[41:], atol=1e-9)
    assert np.abs(_stack(live, "raw_deg")[41:] - rot[41:]).max() < 5.0


def test_calibrate_an_upside_down_camera(four_trials):
    # The live meter takes its neutral with the same estimator: a camera turned 180 deg levels like any other.
    _, rot = four_trials
    rec = seated_recording(rot, camera=Camera(roll_deg=180.0, height_m=0.5, aim_height_m=0.5), image_noise_px=1.0)
    meter = LiveMeter(calibration_s=1.0)
    live = _replay(rec, meter, calibrate_at=40)
    assert abs(abs(meter.neutral.reference_deg) - 180.0) < 0.5
    assert np.abs(_stack(live, "raw_deg")[41:] - rot[41:]).max() < 5.0


def test_calibrate_without_legs_raises():
    meter = LiveMeter()
    with pytest.raises(NotMeasurableError, match="frame"):
        meter.calibrate()
    rec = seated_recording(np.zeros((10, 2)), visibility=0.2)
    _replay(rec, meter)
    with pytest.raises(NotMeasurableError, match="both legs"):
        meter.calibrate()


def test_reading_as_json():
    rec = seated_recording(np.array([[30.0, -10.0]] * 3))
    meter = LiveMeter()
    reading = _replay(rec, meter)[-1]
    data = json.loads(json.dumps(reading.to_dict()))
    assert data["left"]["method"] == "frontal"
    assert data["left"]["angle_deg"] == pytest.approx(30.0, abs=0.5)
    assert data["calibrated"] is False
    gone = meter.update(1000.0, np.full((33, 4), np.nan), np.full((33, 4), np.nan), rec.size_wh)
    data = gone.to_dict()
    assert data["right"]["angle_deg"] is None and data["right"]["flags"] == ["no_person"]
