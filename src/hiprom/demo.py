"""The demo: a synthetic subject doing the whole seated test in the guide's order.

One recording serves every demo: ``samples/demo_seated_test.landmarks.npz``
is this recording (``samples/make_demo.py`` writes it), so
``hiprom analyze`` shows the whole analysis and ``hiprom serve --source demo``
(or the sample file) replays it live, so the page and the whole guided test
can be tried with no camera and no model; the browser tests walk the guide to
its results table on it. It is made with the
one synthetic-subject factory (``hiprom.synthetic``), so its true peaks are
known: see ``DEMO_TRIALS``. One trial (the first right external rotation) is
done with the right hip lifted off the seat, so the guide rejects it and
asks for another, as it would with a real patient.
"""

from __future__ import annotations

import numpy as np

from hiprom.recording import LandmarkRecording
from hiprom.synthetic import Trial, protocol, seated_recording

DEMO_TRIALS: tuple[Trial, ...] = (
    # In the guide's order (right IR, right ER, left IR, left ER); two valid
    # trials per step that agree within a degree or two.
    Trial("right", "internal", 38.0),
    Trial("right", "internal", 37.0),
    Trial("right", "external", 33.0),  # with a pelvis hike: not counted
    Trial("right", "external", 30.0),
    Trial("right", "external", 31.0),
    Trial("left", "internal", 32.0),
    Trial("left", "internal", 33.0),
    Trial("left", "external", 27.0),
    Trial("left", "external", 26.0),
)
HIKED_TRIAL = 2
"""Index in ``DEMO_TRIALS`` of the trial done with the pelvis lifted."""
HIKE_M = 0.05

LEAD_S = 4.5  # still, neutral: long enough for the set-up check and the calibration
RAMP_S = 0.5
HOLD_S = 1.8
REST_S = 1.3


def trial_windows_s() -> np.ndarray:
    """(n_trials, 2) start and end in seconds of each demo trial."""
    seg = RAMP_S * 2 + HOLD_S + REST_S
    start = LEAD_S + seg * np.arange(len(DEMO_TRIALS))
    return np.stack([start, start + RAMP_S * 2 + HOLD_S], axis=1)


def demo_recording(fps: float = 30.0, seed: int = 7, image_noise_px: float = 0.6) -> LandmarkRecording:
    """A recording of the whole guided test (about 43 s), with mild landmark jitter."""
    t_s, rotation_deg = protocol(list(DEMO_TRIALS), fps=fps, lead_s=LEAD_S, ramp_s=RAMP_S, hold_s=HOLD_S, rest_s=REST_S)
    hike = np.zeros_like(rotation_deg)
    start, end = trial_windows_s()[HIKED_TRIAL]
    # The right hip rises with the movement and settles back with it (right = column 1).
    hike[:, 1] = HIKE_M * np.clip(np.minimum(t_s - start, end - t_s) / RAMP_S, 0.0, 1.0)
    return seated_recording(
        rotation_deg,
        fps=fps,
        image_noise_px=image_noise_px,
        world_noise_m=0.002,
        seed=seed,
        source="demo (synthetic guided test)",
        pelvis_hike_m=hike,
    )
