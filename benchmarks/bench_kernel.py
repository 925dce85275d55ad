"""Throughput of the kinematics kernel on a long synthetic recording.

    python benchmarks/bench_kernel.py [--minutes 60] [--repeat 3]

Prints frames per second of ``measure`` (the whole offline kernel: neutral,
both methods, flags, smoothing, uncertainty) and of ``LiveMeter.update``. The
kernel must be negligible next to pose inference (MediaPipe: ~30-100 frames/s
on a CPU), i.e. well over 100,000 frames/s offline.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from hiprom.kinematics import LiveMeter, measure
from hiprom.synthetic import Camera, Trial, protocol, seated_recording


def long_recording(minutes: float, fps: float = 30.0):
    """A subject repeating a four-trial protocol for ``minutes``, with realistic jitter."""
    _, rot = protocol(
        [
            Trial("left", "internal", 45),
            Trial("left", "external", 40),
            Trial("right", "internal", 42),
            Trial("right", "external", 35),
        ],
        fps=fps,
    )
    n = int(minutes * 60 * fps)
    reps = int(np.ceil(n / rot.shape[0]))
    rot = np.tile(rot, (reps, 1))[:n]
    return seated_recording(rot, fps=fps, camera=Camera(roll_deg=3.0), image_noise_px=1.5, world_noise_m=0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--minutes", type=float, default=60.0, help="recording length at 30 fps (default 60 = 108,000 frames)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = parser.parse_args()

    rec = long_recording(args.minutes)
    measure(rec)  # warm-up
    best = min(_timed(lambda: measure(rec)) for _ in range(args.repeat))
    print(f"measure: {rec.n_frames:,} frames in {best * 1000:.0f} ms = {rec.n_frames / best:,.0f} frames/s")

    meter = LiveMeter()
    n_live = min(rec.n_frames, 3000)
    t = _timed(
        lambda: [meter.update(rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh) for i in range(n_live)]
    )
    print(f"LiveMeter.update: {n_live / t:,.0f} frames/s ({t / n_live * 1e3:.2f} ms per frame)")


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
