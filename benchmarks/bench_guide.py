"""Where the guided test says "Hold": against the true peak of every trial of the rendered clips.

Replays landmark recordings cached by ``bench_accuracy.py --cache DIR`` (the
rendered clips and their variants) through the live processor, as a camera
would feed it, calibrated after the clip's first second of rest. Then each
true trial's live angles go through a fresh guide at that trial's step (the
clips do the four movements in their own order), and the angle at which the
guide first says "Hold" is compared with the trial's true held angle. A
guide that says it while the foot is still on its way stops a person who
obeys halfway to where they could turn (``docs/server.md``).

    python benchmarks/bench_accuracy.py --augment --stress --cache /tmp/lm   # once
    python benchmarks/bench_guide.py --cache /tmp/lm [--truth FILE]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from hiprom.landmarks import SIDES
from hiprom.live.guide import STEPS, Guide, GuideInput
from hiprom.live.processor import LiveProcessor
from hiprom.pipeline import load_or_track

DEFAULT_TRUTH = Path(__file__).resolve().parents[2] / "shared" / "footage" / "rendered" / "truth.json"
CALIBRATE_AT_S = 1.0
"""The rendered clips rest for 1.5 s before their first movement."""


def live_angles(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(n,) seconds and (n, 2) calibrated live angles (deg, + internal; ``SIDES`` order) of a recording."""
    rec = load_or_track(path)
    proc = LiveProcessor(path.name, mirrored=rec.mirrored)
    proc.command("start")
    proc.command("next")  # past the set-up check: these clips are not framed for it
    t_s, angles = rec.t_ms / 1000.0, np.full((rec.n_frames, 2), np.nan)
    for i in range(rec.n_frames):
        if proc.guide.phase == "calibrate" and t_s[i] >= CALIBRATE_AT_S:
            proc.command("next")
        reading = proc.process(rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh, 1)
        if reading.calibrated:
            angles[i] = [np.nan if reading.sides[s]["angle_deg"] is None else reading.sides[s]["angle_deg"] for s in SIDES]
    return t_s, angles


def hold_said_at(t_s: np.ndarray, angles: np.ndarray, trial: dict) -> float | None:
    """The angle (deg, toward the trial's direction) at which a guide at this trial's step first says "Hold"."""
    guide = Guide(calibrate=lambda: None)
    guide.command("start")
    guide.command("next")  # set-up
    guide.command("next")  # calibration (the processor's is already taken)
    for _ in range(STEPS.index((trial["side"], trial["direction"]))):
        guide.command("next")  # skip to this trial's step
    window = (t_s >= trial["start_s"] - 0.3) & (t_s <= trial["end_s"] + 0.5)
    for t, a in zip(t_s[window], angles[window]):
        guide.update(GuideInput(t_ms=float(t) * 1000.0, angle_deg=a))
        if guide.sub == "hold":
            return guide.current_deg
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True, help="folder of NAME[-VARIANT].landmarks.npz")
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    args = parser.parse_args(argv)
    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    runs = sorted(args.cache.glob("*.landmarks.npz"))
    if not runs:
        parser.error(f"no .landmarks.npz in {args.cache}: run bench_accuracy.py --cache {args.cache} first")
    fractions: list[float] = []
    never = 0
    print(f"{'run':<18} hold said at (deg) / true held angle, per trial")
    for path in runs:
        name = path.name.removesuffix(".landmarks.npz")
        clip = truth.get(name.split("-")[0])
        if clip is None:
            continue
        t_s, angles = live_angles(path)
        row = []
        for trial in clip["trials"]:
            said = hold_said_at(t_s, angles, trial)
            never += said is None
            if said is not None:
                fractions.append(said / trial["peak_deg"])
            row.append(f"{trial['side'][0].upper()}{trial['direction'][0].upper()}R "
                       f"{'never' if said is None else f'{said:.0f}'}/{trial['peak_deg']}")
        print(f"{name:<18} " + "  ".join(row), flush=True)
    f = np.array(fractions)
    print(f"SUMMARY {f.size + never} trials: \"Hold\" said in {f.size}; at a fraction of the true held angle: "
          f"median {np.median(f):.2f}, p10 {np.percentile(f, 10):.2f}, lowest {f.min():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
