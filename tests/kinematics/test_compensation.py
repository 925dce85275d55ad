"""Compensation flags fire on synthetic compensations of known size, and only then."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.kinematics import COMPENSATION, QualityFlag, measure
from hiprom.synthetic import seated_recording

Q = QualityFlag
NOISE = dict(image_noise_px=1.5, world_noise_m=0.005)
"""Realistic landmark jitter (MediaPipe on a 640x480 frame)."""


def _shape(rot: np.ndarray, side: int, sign: float, peak: float) -> np.ndarray:
    """0..1 profile of one trial (the left internal or external one), following its ramp."""
    return np.clip(sign * rot[:, side] / peak, 0.0, 1.0)


def _per_side(column: np.ndarray, side: int) -> np.ndarray:
    out = np.zeros((column.shape[0], 2))
    out[:, side] = column
    return out


CASES = [
    # name, compensation given the left-internal profile p, flag, sides that must carry it
    ("pelvis hike 4 cm", lambda p: {"pelvis_hike_m": _per_side(0.04 * p, 1)}, Q.PELVIS_HIKE, [0, 1]),
    ("trunk lean 15 deg", lambda p: {"trunk_lean_deg": 15.0 * p}, Q.TRUNK_LEAN, [0, 1]),
    ("trunk lean -12 deg", lambda p: {"trunk_lean_deg": -12.0 * p}, Q.TRUNK_LEAN, [0, 1]),
    ("knee drift 6 cm medial during IR", lambda p: {"knee_drift_m": _per_side(-0.06 * p, 0)}, Q.KNEE_DRIFT, [0]),
]


@pytest.mark.parametrize("name, make, flag, sides", CASES, ids=[c[0] for c in CASES])
def test_compensation_fires_during_the_trial(four_trials, name, make, flag, sides):
    _, rot = four_trials
    p = _shape(rot, 0, +1.0, 45.0)
    kin = measure(seated_recording(rot, **NOISE, **make(p)))
    held = p > 0.99
    on = (kin.flags & flag) != 0
    for side in sides:
        assert on[held, side].mean() > 0.9, f"{name}: flag on only {on[held, side].mean():.0%} of the held frames"
    assert not on[:30].any(), f"{name}: flagged during the neutral lead-in"
    assert not on[p == 0][60:].any() or on[p == 0].mean() < 0.05
    other = [s for s in (0, 1) if s not in sides]
    for side in other:
        assert not on[:, side].any()
    assert not (kin.flags & (COMPENSATION & ~flag)).any(), f"{name}: set other compensation flags"


def test_knee_drift_against_external_rotation(four_trials):
    _, rot = four_trials
    p = _shape(rot, 0, -1.0, 40.0)  # the left external trial
    kin = measure(seated_recording(rot, **NOISE, knee_drift_m=_per_side(0.06 * p, 0)))
    on = (kin.flags & Q.KNEE_DRIFT) != 0
    assert on[p > 0.99, 0].mean() > 0.9
    assert not on[:, 1].any()


def test_knee_drift_at_rest_either_way():
    n = 150
    bump = np.zeros(n)
    bump[60:100] = 1.0
    for sign in (+1.0, -1.0):
        kin = measure(seated_recording(np.zeros((n, 2)), **NOISE, knee_drift_m=_per_side(sign * 0.06 * bump, 1)))
        on = (kin.flags & Q.KNEE_DRIFT) != 0
        assert on[65:95, 1].all()
        assert not on[:50].any() and not on[:, 0].any()


QUIET = [
    ("no compensation", {}),
    (
        "sits crooked: constant hike, lean, knee offset",
        {"pelvis_hike_m": np.array([0.03, 0.0]), "trunk_lean_deg": 6.0, "knee_drift_m": 0.03},
    ),
    ("small hike 1.5 cm", "hike"),
    ("small lean 4 deg", "lean"),
    ("knee following the foot (like MediaPipe's knee)", "follow"),
]


@pytest.mark.parametrize("name, comp", QUIET, ids=[c[0] for c in QUIET])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quiet_without_compensation(four_trials, name, comp, seed):
    _, rot = four_trials
    p = _shape(rot, 0, +1.0, 45.0)
    if comp == "hike":
        comp = {"pelvis_hike_m": _per_side(0.015 * p, 0)}
    elif comp == "lean":
        comp = {"trunk_lean_deg": 4.0 * p}
    elif comp == "follow":
        comp = {"knee_drift_m": _per_side(0.06 * p, 0)}  # lateral, with the foot, during IR
    kin = measure(seated_recording(rot, seed=seed, **NOISE, **comp))
    assert not (kin.flags & COMPENSATION).any(), f"{name}: {np.unique(kin.flags & COMPENSATION)}"


def test_multiple_people_is_flagged_but_not_a_compensation(four_trials):
    _, rot = four_trials
    rec = seated_recording(rot)
    people = np.ones(rec.n_frames, dtype=int)
    people[100:110] = 2
    from dataclasses import replace

    kin = measure(replace(rec, n_people=people))
    crowded = (kin.flags & Q.MULTIPLE_PEOPLE) != 0
    assert crowded[100:110].all() and crowded.sum() == 20
    assert not Q.MULTIPLE_PEOPLE & COMPENSATION
    assert np.isfinite(kin.angle_deg[100:110]).all()
