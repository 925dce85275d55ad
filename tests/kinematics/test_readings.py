"""The per-frame core: the medial-occlusion correction of the frontal method."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hiprom.kinematics import KinematicsSettings, Neutral, measure
from hiprom.kinematics.readings import medial_occlusion_deg
from hiprom.landmarks import Landmark as L
from hiprom.landmarks import N_LANDMARKS
from hiprom.synthetic import seated_recording

K_DEG, RAMP_DEG, MAX_DROP = 30.0, 4.0, 0.15


@pytest.mark.parametrize(
    "frontal, visibility, rest, expected",
    [
        (-30.0, 0.89, 0.99, -3.0),  # medial swing, ankle seen 0.1 worse than at rest
        (-30.0, 0.49, 0.99, -4.5),  # a drop beyond any measured counts only up to MAX_DROP
        (-2.0, 0.89, 0.99, -1.5),  # halfway up the ramp: half the correction
        (0.0, 0.89, 0.99, 0.0),  # at rest: nothing
        (30.0, 0.59, 0.99, 0.0),  # a lateral swing crosses nothing
        (-30.0, 0.99, 0.95, 0.0),  # seen better than at rest: nothing
        (-30.0, 0.89, float("nan"), 0.0),  # resting visibility unknown: nothing
        (float("nan"), 0.89, 0.99, 0.0),  # no reading: nothing to correct (NaN stays NaN in the sum)
    ],
)
def test_medial_occlusion_correction(frontal, visibility, rest, expected):
    got = medial_occlusion_deg(
        np.array([[frontal, frontal]]), np.array([[visibility, visibility]]), np.array([rest, rest]), K_DEG, RAMP_DEG, MAX_DROP
    )
    np.testing.assert_allclose(got, [[expected, expected]], atol=1e-12)


def _ankle_visibility(rot: np.ndarray, side: int, frames: np.ndarray, value: float) -> np.ndarray:
    vis = np.full((rot.shape[0], N_LANDMARKS), 0.99)
    vis[frames, (L.LEFT_ANKLE, L.RIGHT_ANKLE)[side]] = value
    return vis


@pytest.mark.parametrize("side", [0, 1])
def test_a_medially_swung_foot_seen_worse_reads_further(four_trials, side):
    _, rot = four_trials
    external = np.flatnonzero(rot[:, side] < -10.0)
    internal = np.flatnonzero(rot[:, side] > 10.0)
    plain = measure(seated_recording(rot))
    dimmed = measure(seated_recording(rot, visibility=_ankle_visibility(rot, side, external, 0.89)))
    shift = dimmed.raw_deg[external, side] - plain.raw_deg[external, side]
    np.testing.assert_allclose(shift, -KinematicsSettings().medial_occlusion_deg * 0.1, atol=1e-9)
    lateral = measure(seated_recording(rot, visibility=_ankle_visibility(rot, side, internal, 0.89)))
    np.testing.assert_allclose(lateral.raw_deg[internal, side], plain.raw_deg[internal, side], atol=1e-9)


def test_the_correction_can_be_turned_off_and_needs_the_resting_visibility(four_trials):
    _, rot = four_trials
    external = np.flatnonzero(rot[:, 0] < -10.0)
    rec = seated_recording(rot, visibility=_ankle_visibility(rot, 0, external, 0.89))
    plain = measure(seated_recording(rot))
    off = measure(rec, settings=KinematicsSettings(medial_occlusion_deg=0.0))
    np.testing.assert_allclose(off.raw_deg, plain.raw_deg, atol=1e-9)
    neutral = measure(rec).neutral
    np.testing.assert_allclose(neutral.ankle_visibility, 0.99)
    unknown = measure(rec, reference=replace(neutral, ankle_visibility=np.full(2, np.nan)))
    np.testing.assert_allclose(unknown.raw_deg, plain.raw_deg, atol=1e-9)


def test_the_resting_visibility_survives_a_round_trip():
    neutral = Neutral(ankle_visibility=np.array([0.97, 0.93]))
    again = Neutral.from_dict(neutral.to_dict())
    np.testing.assert_allclose(again.ankle_visibility, [0.97, 0.93])
    assert np.isnan(Neutral.from_dict({"reference_deg": 1.0}).ankle_visibility).all()
