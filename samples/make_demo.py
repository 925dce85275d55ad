"""Make ``samples/demo_seated_test.landmarks.npz``: the whole seated test, synthetic.

The recording is :func:`hiprom.demo.demo_recording`: a synthetic seated
subject (``hiprom.synthetic``, the project's one factory of ground truth) doing
the guided test in its order at 30 fps with mild landmark jitter. True held
peaks (``hiprom.demo.DEMO_TRIALS``):

===== ====== ========= ========= ==========================================
trial side   direction held peak note
===== ====== ========= ========= ==========================================
1-2   right  internal  38, 37
3     right  external  33        right hip lifted 5 cm: invalid, not counted
4-5   right  external  30, 31
6-7   left   internal  32, 33
8-9   left   external  27, 26
===== ====== ========= ========= ==========================================

So ``hiprom analyze samples/demo_seated_test.landmarks.npz`` reports about
R IR 38, R ER 31, L IR 33, L ER 27 (the best valid trial of each), and trial 3
invalid with "pelvis_hike"; ``hiprom serve --source samples/demo_seated_test.landmarks.npz``
replays it so the guided test runs to its results. Run from the repo root::

    python samples/make_demo.py [OUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

from hiprom.demo import demo_recording

OUT = Path(__file__).resolve().parent / "demo_seated_test.landmarks.npz"


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    rec = demo_recording()
    rec.save(out)
    print(f"wrote {out} ({rec.n_frames} frames, {rec.n_frames / rec.fps:.1f} s, {out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
