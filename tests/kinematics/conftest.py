"""Synthetic seated subjects for the kinematics tests, all from ``hiprom.synthetic``."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.kinematics.camera import KNEE_TO_SHOULDER_PER_SHANK
from hiprom.synthetic import Camera, Trial, body_with_knee_to_shoulder, protocol

LEVEL = dict(height_m=0.5, aim_height_m=0.5)
"""A camera at knee height, looking level: the shank's swing plane is parallel to the image."""

SUBJECT = body_with_knee_to_shoulder(KNEE_TO_SHOULDER_PER_SHANK)
"""A subject proportioned as the camera-yaw estimate assumes, so that its yaw is exact geometry
(tests that need the true yaw; the default body's shoulders stand farther back)."""

N_LEAD = 12
"""Neutral frames before the frame under test, from which the reference is taken."""


def with_lead(rotation_deg: np.ndarray, n_lead: int = N_LEAD) -> np.ndarray:
    """``rotation_deg`` (n, 2) preceded by ``n_lead`` neutral frames."""
    rot = np.atleast_2d(np.asarray(rotation_deg, dtype=np.float64))
    return np.vstack([np.zeros((n_lead, 2)), rot])


@pytest.fixture(scope="session")
def four_trials() -> tuple[np.ndarray, np.ndarray]:
    """``(t_s, rotation_deg)`` of a left/right, internal/external protocol at 30 fps."""
    return protocol(
        [
            Trial("left", "internal", 45),
            Trial("left", "external", 40),
            Trial("right", "internal", 42),
            Trial("right", "external", 35),
        ]
    )


@pytest.fixture(scope="session")
def level_camera() -> Camera:
    return Camera(**LEVEL)
