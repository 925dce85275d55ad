"""Make ``samples/demo_seated_test.landmarks.npz``: the whole seated test, synthetic.

A synthetic seated subject (``hiprom.synthetic``, the project's one factory of
ground truth) does the full test at 30 fps with realistic landmark jitter:

===== ====== ========= ============ =========================================
trial side   direction held peak    note
===== ====== ========= ============ =========================================
1     right  internal  38 deg
2     right  external  30 deg
3     left   internal  32 deg
4     left   external  27 deg
5     right  internal  36 deg       a repeat (gives a trial-to-trial spread)
6     left   internal  41 deg       pelvis hike of 4 cm: invalid, not counted
===== ====== ========= ============ =========================================

So ``hiprom analyze samples/demo_seated_test.landmarks.npz`` should report
R IR 38, R ER 30, L IR 32, L ER 27 (about 1 deg), an IR asymmetry of 6 deg
(not flagged), and trial 6 invalid with "pelvis_hike". Run from the repo root::

    python samples/make_demo.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from hiprom.synthetic import Trial, protocol, seated_recording

FPS = 30.0
TRIALS = [
    Trial("right", "internal", 38.0),
    Trial("right", "external", 30.0),
    Trial("left", "internal", 32.0),
    Trial("left", "external", 27.0),
    Trial("right", "internal", 36.0),
    Trial("left", "internal", 41.0),
]
HIKED = 5  # index of the trial done with a pelvis hike
HIKE_M = 0.04  # the left hip lifts 4 cm off the seat at the peak
IMAGE_NOISE_PX = 1.5  # about MediaPipe's frame-to-frame jitter at 640x480
WORLD_NOISE_M = 0.005
SEED = 2026
OUT = Path(__file__).resolve().parent / "demo_seated_test.landmarks.npz"


def build() -> tuple[np.ndarray, object]:
    """The rotation truth (n, 2) and the recording."""
    _, rotation = protocol(TRIALS, fps=FPS)
    # The same timing with only the hiked trial, at unit size: the hike follows that movement.
    unit = [Trial(tr.side, tr.direction, 1.0 if i == HIKED else 0.0) for i, tr in enumerate(TRIALS)]
    _, shape = protocol(unit, fps=FPS)
    hike = np.zeros_like(rotation)
    hike[:, 0] = HIKE_M * np.abs(shape[:, 0])
    rec = seated_recording(
        rotation,
        fps=FPS,
        image_noise_px=IMAGE_NOISE_PX,
        world_noise_m=WORLD_NOISE_M,
        seed=SEED,
        source="demo_seated_test (synthetic)",
        pelvis_hike_m=hike,
    )
    return rotation, rec


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    _, rec = build()
    rec.save(out)
    print(f"wrote {out} ({rec.n_frames} frames, {rec.n_frames / FPS:.1f} s, {out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
