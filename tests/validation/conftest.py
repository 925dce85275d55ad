"""Helpers of the validation tests: synthetic pairs with known bias and noise, and a clinic's store."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pytest

from hiprom.store import MEASURES, Store
from hiprom.validation import Pair


def synthetic_pairs(n_subjects: int = 30, bias: float = 2.0, noise_sd: float = 2.0, seed: int = 0,
                    instrument: str = "goniometer") -> list[Pair]:
    """hiprom = truth + bias + N(0, noise); reference = truth + N(0, noise), for every measure of every subject."""
    rng = np.random.default_rng(seed)
    pairs = []
    for measure in MEASURES:
        truth = rng.uniform(20, 50, n_subjects)
        for i, t in enumerate(truth):
            pairs.append(Pair(measure, float(t + bias + rng.normal(0, noise_sd)), float(t + rng.normal(0, noise_sd)),
                              f"S-{i:02d}", instrument=instrument))
    return pairs


@pytest.fixture
def save_session(store: Store, fixture_analysis: dict) -> Callable[..., int]:
    """Save a session whose summary figures are given (degrees): ``save_session("S-1", "2026-03-01T09:00:00Z", 30, 40, 31, 41)``."""

    def save(subject: str, when: str, left_ir: float, left_er: float, right_ir: float, right_er: float) -> int:
        a = copy.deepcopy(fixture_analysis)
        for side, ir, er in (("left", left_ir, left_er), ("right", right_ir, right_er)):
            a["sides"][side]["internal_rotation_deg"] = ir
            a["sides"][side]["external_rotation_deg"] = er
        return store.save_analysis(a, subject=subject, recorded_utc=when).id

    return save
