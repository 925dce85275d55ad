"""Accuracy of the repetition counter on synthetic chair rotations with known reps and holds.

Runs ``hiprom.synthetic.exercise_protocol`` recordings (landmark jitter 0.6 px,
2 mm) through the real kernel and ``find_reps``, over frame rates, ramp
durations, sides and directions, and prints per condition the reps found
against planned, wrong verdicts, and the hold and peak errors (found - true).

    python benchmarks/bench_reps.py
"""

from __future__ import annotations

import numpy as np

from hiprom.assessment import find_reps
from hiprom.kinematics import measure
from hiprom.synthetic import Rep, exercise_protocol, seated_recording

HOLD_S = 3.0
PLAN = [
    Rep(30.0, 3.0), Rep(28.0, 3.0, pelvis_hike_m=0.05), Rep(32.0, 1.0), Rep(25.0, 3.0),
    Rep(30.0, 3.0, trunk_lean_deg=10.0), Rep(12.0, 3.0), Rep(40.0, 5.0),
]
EXPECTED = [(), ("pelvis_hike",), ("released_early",), (), ("trunk_lean",), (), ()]


def main() -> None:
    print(f"{'fps':>4} {'ramp s':>6} {'side/direction':<16} {'reps':>5} {'wrong':>5} "
          f"{'hold err s (min..max)':>22} {'peak err deg (max |.|, no hike)':>32}")
    holds: list[float] = []
    for ramp in (0.3, 0.5, 0.8):
        for fps in (10.0, 15.0, 30.0):
            for side, direction in (("left", "internal"), ("right", "external")):
                t, rot, comp = exercise_protocol(PLAN, side, direction, fps=fps, ramp_s=ramp)
                rec = seated_recording(rot, fps=fps, image_noise_px=0.6, world_noise_m=0.002, seed=3, **comp)
                kin = measure(rec)
                col = 0 if side == "left" else 1
                reps = find_reps(kin.t_s, kin.angle_deg[:, col], kin.flags[:, col], direction, HOLD_S)
                wrong = sum(r.reasons != e for r, e in zip(reps, EXPECTED)) + abs(len(reps) - len(PLAN))
                dh = np.array([r.hold_s - p.hold_s for r, p in zip(reps, PLAN)])
                dp = np.array([r.peak_deg - p.peak_deg for r, p in zip(reps, PLAN) if not p.pelvis_hike_m])
                if ramp <= 0.5:
                    holds.extend(dh)
                print(f"{fps:4.0f} {ramp:6.1f} {side + ' ' + direction:<16} {len(reps):>2}/{len(PLAN):<2} {wrong:>5} "
                      f"{dh.min():+10.2f} .. {dh.max():+.2f} {np.abs(dp).max():>32.1f}")
    h = np.array(holds)
    print(f"ramps <= 0.5 s: hold error {h.min():+.2f} .. {h.max():+.2f} s, mean {h.mean():+.2f} s over {h.size} reps")


if __name__ == "__main__":
    main()
