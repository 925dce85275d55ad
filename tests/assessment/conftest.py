"""Fixtures for assessment tests: Kinematics built straight from angle series.

The assessment only reads a ``Kinematics``; building one from a known angle
series (``hiprom.synthetic.protocol``) tests trials and peaks independently of
the kernel. End-to-end tests through the real kernel are in ``test_end_to_end.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from hiprom.kinematics import Kinematics
from hiprom.synthetic import Trial, protocol

FULL_TEST = (
    Trial("right", "internal", 38.0),
    Trial("right", "external", 30.0),
    Trial("left", "internal", 32.0),
    Trial("left", "external", 27.0),
)


def _make_kin(
    t_s: np.ndarray,
    angle_deg: np.ndarray,
    flags: np.ndarray | None = None,
    uncertainty_deg: float = 1.5,
) -> Kinematics:
    angle = np.asarray(angle_deg, dtype=np.float64)
    n = angle.shape[0]
    bits = np.zeros((n, 2), dtype=np.uint32) if flags is None else np.asarray(flags, dtype=np.uint32)
    method = np.where(np.isfinite(angle), 1, 0).astype(np.int8)
    unc = np.where(np.isfinite(angle), uncertainty_deg, np.nan)
    return Kinematics(
        t_s=np.asarray(t_s, dtype=np.float64),
        angle_deg=angle,
        raw_deg=angle.copy(),
        frontal_deg=angle.copy(),
        world_deg=angle.copy(),
        method=method,
        uncertainty_deg=unc,
        flags=bits,
        reference_deg=0.0,
    )


def _noisy_protocol(trials, fps: float, sd_deg: float = 0.5, seed: int = 0, **kw) -> tuple[np.ndarray, np.ndarray]:
    t, rot = protocol(list(trials), fps=fps, **kw)
    rng = np.random.default_rng(seed)
    return t, rot + rng.normal(0.0, sd_deg, rot.shape)


@pytest.fixture()
def make_kin() -> Callable[..., Kinematics]:
    """``make_kin(t_s, angle_deg (n, 2), flags=None, uncertainty_deg=1.5)``: every method reads ``angle_deg``."""
    return _make_kin


@pytest.fixture()
def noisy_protocol() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    """``noisy_protocol(trials, fps, sd_deg=0.5, seed=0, **protocol_kw)``: (t_s, angle (n, 2)) with seeded noise."""
    return _noisy_protocol


@pytest.fixture()
def full_test() -> tuple[Trial, ...]:
    """R IR 38, R ER 30, L IR 32, L ER 27, one after another."""
    return FULL_TEST
