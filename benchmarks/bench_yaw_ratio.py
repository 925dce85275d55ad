"""The knee-to-shoulder ratio the landmarks show, solved per run from the true camera yaw.

    python benchmarks/bench_yaw_ratio.py --cache DIR [--truth FILE]

For every cached run of ``bench_accuracy.py --augment --cache DIR`` whose
camera is turned (true yaw beyond 5 deg), finds the
``camera.KNEE_TO_SHOULDER_PER_SHANK`` at which the camera estimate from that
run's resting frames gives the true yaw, and prints it per run and the median
per clip; then every run's yaw error with the constant as it is. This is the
measurement behind that constant (``docs/accuracy.md``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from scipy.optimize import brentq

from bench_accuracy import RENDERED


def resting_inputs(cache: Path) -> dict[str, tuple]:
    """{run: the arguments ``estimate_neutral`` passes to ``estimate_camera``} for every cached run."""
    from hiprom.kinematics import neutral
    from hiprom.kinematics.measure import measure
    from hiprom.pipeline import load_or_track

    seen: dict[str, tuple] = {}
    real = neutral.estimate_camera

    def spy(*args, **kwargs):
        spy.last = (args, kwargs)
        return real(*args, **kwargs)

    neutral.estimate_camera = spy
    try:
        for path in sorted(cache.glob("*.landmarks.npz")):
            name = path.name.split(".")[0]
            spy.last = None
            measure(load_or_track(path, mirrored=name.endswith("-mirror")))
            if spy.last is not None:
                seen[name] = spy.last
    finally:
        neutral.estimate_camera = real
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True, help="landmark cache of bench_accuracy.py")
    parser.add_argument("--truth", type=Path, default=RENDERED / "truth.json")
    args = parser.parse_args(argv)

    from hiprom.kinematics import camera

    truth = json.loads(args.truth.read_text())
    inputs = resting_inputs(args.cache)
    assumed = camera.KNEE_TO_SHOULDER_PER_SHANK

    def yaw(name: str, ratio: float) -> float:
        camera.KNEE_TO_SHOULDER_PER_SHANK = ratio
        try:
            call_args, kwargs = inputs[name]
            return camera.estimate_camera(*call_args, **kwargs).yaw_deg
        finally:
            camera.KNEE_TO_SHOULDER_PER_SHANK = assumed

    per_clip: dict[str, list[float]] = {}
    for name in inputs:
        clip = name.split("-")[0]
        true = float(truth[clip]["camera"]["yaw_deg"])
        error = yaw(name, assumed) - true
        line = f"{name:<18} true {true:+6.1f}  error {error:+5.1f}"
        low, high = 0.45, 2.0  # below about 0.4 the shoulders' ray misses the circle: the world cue answers
        if abs(true) > 5.0 and (yaw(name, low) - true) * (yaw(name, high) - true) < 0:
            ratio = brentq(lambda r: yaw(name, r) - true, low, high)
            per_clip.setdefault(clip, []).append(ratio)
            line += f"  ratio {ratio:.3f}"
        elif abs(true) > 5.0:
            line += f"  no ratio in {low}-{high}"
        print(line)
    for clip, ratios in per_clip.items():
        print(f"{clip}: median ratio {statistics.median(ratios):.3f} over {len(ratios)} runs "
              f"({min(ratios):.2f}-{max(ratios):.2f})")
    print(f"assumed KNEE_TO_SHOULDER_PER_SHANK = {assumed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
