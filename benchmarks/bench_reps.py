"""Accuracy of the repetition counter: synthetic chair rotations, and real frames of the rendered clips.

**Synthetic** (default): ``hiprom.synthetic.exercise_protocol`` recordings
(landmark jitter 0.6 px, 2 mm) through the real kernel and ``find_reps``, over
frame rates, ramp durations, sides and directions; per condition the reps found
against planned, wrong verdicts, and the hold and peak errors (found - true).

**Real frames** (``--real --cache DIR``): each rendered clip's trials cut and
spliced (OpenCV, sensor noise of 2 grey levels on every frame, so a repeated
frame is a new picture) into a set of repetitions with exact truth per frame,
then tracked by the real pose model (kept in ``DIR``), and counted offline
as ``hiprom reps`` counts them (``count_recording``: rest from the set's lead-in)
and live (``LiveProcessor`` + ``LiveExercise``, from its own lead-in). Every set (``PLAN``): a rep back to rest, reps back only
to 20 % and to 45 % of their peak (a person near their limit who does not
come all the way back: real reps), holds with a sag to 70 % and to 90 % (one
rep each), a 7 s hold, 6 s at 20 % between two reps (jitter at a low point).
With ``--views``, sets of four reps back to rest with the other leg hidden
behind a box (``hide``) or out of the picture (``cut``), for the internal
direction (the foot swings away from the other leg). Prints per set the true
reps found, the reps counted (held the dose's 3 s, no compensation) and the
reps found that are none (a second one of a true rep, or noise), both ways;
then in all the hold error of the reps that do not sag (against the true 3.3 or
7 s) and the peak error (against the clip's truth).
The 30 fps clips are spliced at 15 fps (each of their poses is shown 3 frames).

**Jitter** (``--jitter``): angle series of reps back to 20 and 45 % of their
peak, holds that sag to 70 and 90 %, small reps back to 5 deg (5 true reps),
with uniform jitter of 0 to 6 deg peak to peak, 20 seeds: true reps found, those
counted (held the 3.3 s past the dose's 3 s) and false ones.

    python benchmarks/bench_reps.py
    python benchmarks/bench_reps.py --jitter
    python benchmarks/bench_reps.py --real --views --cache /tmp/reps [gt01 gt11 ...]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

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
RENDERED = Path(os.environ.get("HIPROM_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared")) / "footage" / "rendered"
REAL_PLAN = (  # (hold s, sag to this share of the peak mid-hold or None, back to this share, stay there s)
    (3.3, None, 0.2, 1.5),
    (3.3, None, 0.45, 1.5),
    (3.3, 0.7, 0.0, 1.5),
    (3.3, 0.9, 0.0, 1.5),
    (7.0, None, 0.2, 6.0),
    (3.3, None, 0.0, 3.0),
)
VIEW_PLAN = ((3.3, None, 0.0, 1.5),) * 4
LEAD_S = 4.0


def synthetic() -> None:
    """The table over frame rates, ramps, sides and directions (every rep found, verdicts right)."""
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


JITTER_PLAN = ((30.0, 6.0), (30.0, 13.5), (30.0, 21.0), (30.0, 27.0), (30.0, 0.0), (12.0, 5.0), (12.0, 0.0))
"""(peak, back to) deg: back to 20 and 45 % (reps), sags to 70 and 90 % (one rep with the next), small reps
back to 5 deg: 5 true reps."""


def jitter_set(jitter_deg: float, seed: int, fps: float = 30.0) -> tuple[np.ndarray, np.ndarray, list]:
    """(t, angle, true (start, end) s) of ``JITTER_PLAN``: 0.4 s ramps, 3.3 s holds, 1.5 s at each low
    point, with uniform jitter ``jitter_deg`` peak to peak on every frame."""
    knots_t, knots_a, t0, spans, begun = [0.0, 3.0], [0.0, 0.0], 3.0, [], 3.0
    for peak, back in JITTER_PLAN:
        knots_t += [t0 + 0.4, t0 + 3.7, t0 + 4.1, t0 + 5.6]
        knots_a += [peak, peak, back, back]
        if back <= peak / 2:
            spans.append((begun, t0 + 4.1))
            begun = t0 + 4.1
        t0 += 5.6
    t = np.arange(0.0, t0 + 1.0, 1.0 / fps)
    angle = np.interp(t, knots_t, knots_a) + np.random.default_rng(seed).uniform(-jitter_deg / 2, jitter_deg / 2, t.shape)
    return t, angle, spans


def jitter() -> None:
    """Reps found against true on ``JITTER_PLAN`` angle series under growing jitter, 20 seeds each."""
    print(f"{'jitter deg p-p':>14} {'true':>5} {'found':>6} {'counted':>8} {'false':>6} {'missed':>7}   (20 seeds)")
    for amount in (0.0, 2.0, 3.8, 5.0, 6.0):
        n = found = counted = false = 0
        for seed in range(20):
            t, angle, spans = jitter_set(amount, seed)
            reps = [r.to_dict() for r in find_reps(t, angle, np.zeros(t.shape, np.uint32), "internal", HOLD_S)]
            hit, _, extra = score(reps, spans)
            real_counted = sum(r["counted"] for r in reps if any(s0 <= (r["hold_start_s"] + r["hold_end_s"]) / 2 <= s1
                                                                 for s0, s1 in spans))
            n, found, counted, false = n + len(spans), found + hit, counted + real_counted, false + extra
        print(f"{amount:14.1f} {n:5d} {found:6d} {counted:8d} {false:6d} {n - found:7d}")


def splice_frames(clip: dict, trial: dict, plan: tuple) -> tuple[list[int], list[tuple[float, float]]]:
    """Source frame indices of a set of reps made of ``trial``'s frames, and each true rep's (start, end) s.

    Rest frames are the clip's lead-in; a rep rises over the trial's ramp up, holds (its held
    frames cycled), sags or comes back over its ramp down to the ramp frames nearest the share of
    the peak asked for, stays there (those frames cycled) and rises again from there.
    """
    fps, peak = float(clip["fps"]), float(trial["peak_deg"])
    truth = np.abs(np.array(clip["per_frame"][f"{trial['side']}_deg"]))
    first = min(t["start_frame"] for t in clip["trials"])
    rest = list(range(int(0.3 * fps), first - 1))
    ramps = list(range(trial["start_frame"], trial["hold_start_frame"])) + \
        list(range(trial["hold_end_frame"] + 1, trial["end_frame"] + 1))
    held = list(range(trial["hold_start_frame"], trial["hold_end_frame"] + 1))

    def cycle(frames: list[int], seconds: float) -> list[int]:
        return [frames[i % len(frames)] for i in range(int(round(seconds * fps)))]

    def at(share: float) -> list[int]:
        if share <= 0:
            return rest
        near = min(abs(truth[f] - share * peak) for f in ramps)
        return [f for f in ramps if abs(truth[f] - share * peak) == near]

    def ramp(lo: float, hi: float, up: bool) -> list[int]:
        frames = [f for f in ramps if lo * peak + 0.5 < truth[f] < hi * peak - 0.5]
        return sorted(frames, key=lambda f: truth[f] * (1 if up else -1))

    out = cycle(rest, LEAD_S)
    spans: list[tuple[float, float]] = []
    low = 0.0
    for hold_s, sag, back, stay_s in plan:
        start = len(out) / fps
        out += ramp(low, 1.0, True) + cycle(held, hold_s)
        if sag is not None:
            out += ramp(sag, 1.0, False) + cycle(at(sag), 1.0) + ramp(sag, 1.0, True) + cycle(held, hold_s)
        out += ramp(back, 1.0, False)
        spans.append((start, len(out) / fps))
        out += cycle(at(back), stay_s)
        low = back
    return out, spans


def write_clip(src: Path, frames: list[int], out: Path, view: str, other_x: tuple[float, float], mid_x: float,
               fps: float, seed: int = 0) -> None:
    """Write ``src``'s frames in the order ``frames`` to ``out`` at ``fps``, each with sensor noise.

    ``view``: ``full``; ``hide`` paints a box over the other leg (image x range ``other_x``, 0-1, from
    just above its knee down); ``cut`` moves the picture's edge to the middle of ``other_x``, so the
    other shank is out of the picture (a camera turned away, or a person near its edge; ``mid_x``, the
    knees' middle, tells which side).
    """
    import cv2

    cap = cv2.VideoCapture(str(src))
    pictures = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        pictures.append(frame)
    cap.release()
    h, w = pictures[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    rng = np.random.default_rng(seed)
    other_left, cut = sum(other_x) / 2 < mid_x, int(sum(other_x) / 2 * w)
    for i in frames:
        frame = pictures[i].copy()
        if view == "hide":
            colour = [int(c) for c in frame[int(0.95 * h), 5]]
            cv2.rectangle(frame, (int(other_x[0] * w), int(0.58 * h)), (int(other_x[1] * w), h), colour, -1)
        elif view == "cut":
            frame = cv2.copyMakeBorder(frame[:, cut:], 0, 0, 0, cut, cv2.BORDER_REPLICATE) if other_left else \
                cv2.copyMakeBorder(frame[:, :cut], 0, 0, w - cut, 0, cv2.BORDER_REPLICATE)
        noisy = frame.astype(np.float64) + rng.normal(0.0, 2.0, frame.shape)
        writer.write(np.clip(noisy, 0, 255).astype(np.uint8))
    writer.release()


def live_reps(rec, side: str, direction: str) -> tuple[list, float | None]:
    """The reps ``LiveExercise`` counts on ``rec`` fed as a camera would, and when counting began (s)."""
    from hiprom.live.exercise import LiveExercise, camera_exercise
    from hiprom.live.processor import LiveProcessor

    proc = LiveProcessor(source_label="bench")
    proc.start_exercise(LiveExercise(camera_exercise(f"chair_rotation_{direction}", side), side))
    began = None
    for i in range(rec.n_frames):
        proc.process(rec.t_ms[i], rec.image[i], rec.world[i], rec.size_wh, int(rec.n_people[i]))
        if began is None and proc.exercise_state()["counting"]:
            began = rec.t_ms[i] / 1000.0
    proc.stop_exercise()
    return proc.exercise_state()["result"]["reps"], began


def score(reps: list[dict], spans: list[tuple[float, float]]) -> tuple[int, int, int]:
    """(true reps found once, counted reps, reps found that are no true rep or a second one of it)."""
    hits = [sum(s0 <= (r["hold_start_s"] + r["hold_end_s"]) / 2 <= s1 for r in reps) for s0, s1 in spans]
    return sum(h >= 1 for h in hits), sum(r["counted"] for r in reps), len(reps) - sum(min(h, 1) for h in hits)


def errors(reps: list[dict], spans: list[tuple[float, float]], plan: tuple, peak_deg: float) -> tuple[list, list]:
    """Measured - true hold (s) of each true rep found whose hold does not sag (a sag splits or joins it),
    and measured - true peak (deg) of each true rep found."""
    holds, peaks = [], []
    for (s0, s1), (hold_s, sag, _, _) in zip(spans, plan):
        found = [r for r in reps if s0 <= (r["hold_start_s"] + r["hold_end_s"]) / 2 <= s1]
        if found:
            peaks.append(found[0]["peak_deg"] - peak_deg)
            if sag is None:
                holds.append(found[0]["hold_s"] - hold_s)
    return holds, peaks


def real(names: list[str], cache: Path, views: bool, truth_path: Path) -> None:
    """Sets of reps of real frames, counted offline and live (see the module's docstring)."""
    from hiprom.assessment import load_catalogue
    from hiprom.errors import InputError
    from hiprom.pipeline import count_recording, load_or_track
    from hiprom.recording import LandmarkRecording

    def exercise(direction: str):
        return load_catalogue().get(f"chair_rotation_{direction}")

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    cache.mkdir(parents=True, exist_ok=True)
    print(f"{'set':<34} {'true':>4} {'offline found/counted/false':>28} {'live found/counted/false':>25} {'live from s':>11}")
    totals = np.zeros((2, 4), dtype=int)
    hold_err: list[list[float]] = [[], []]
    peak_err: list[list[float]] = [[], []]
    for name in names:
        clip = truth[name]
        plain = cache / f"{name}.landmarks.npz"
        if not plain.exists():
            load_or_track(RENDERED / clip["file"]).save(plain)
        rest = LandmarkRecording.load(plain).image[: int(clip["fps"])]
        for trial in clip["trials"]:
            side, direction = trial["side"], trial["direction"]
            kinds = [("full", REAL_PLAN)] + ([("hide", VIEW_PLAN), ("cut", VIEW_PLAN)]
                                              if views and direction == "internal" else [])
            for view, plan in kinds:
                key = f"{name}-{side}-{direction}-{view}"
                path = cache / f"{key}.landmarks.npz"
                frames, spans = splice_frames(clip, trial, plan)
                step = 2 if clip["fps"] > 20 else 1  # 30 fps clips at 15 fps (each pose is shown 3 frames)
                frames = frames[::step]
                if not path.exists():
                    other = [26, 28, 30, 32] if side == "left" else [25, 27, 29, 31]
                    xs = np.nanmedian(rest[:, other, 0], axis=0)
                    mid = float(np.nanmedian(rest[:, [25, 26], 0]))
                    video = cache / f"{key}.mp4"
                    write_clip(RENDERED / clip["file"], frames, video, view, (xs.min() - 0.03, xs.max() + 0.03), mid,
                               clip["fps"] / step)
                    load_or_track(video).save(path)
                    video.unlink()
                rec = LandmarkRecording.load(path)
                try:  # as ``hiprom reps`` counts a recording
                    offline = count_recording(rec, exercise(direction), side, dose={"hold_s": int(HOLD_S)})["reps"]
                except InputError:  # no rest of the leg seen: nothing counted (the line says what to film)
                    offline = []
                live, began = live_reps(rec, side, direction)
                rows = [score(offline, spans), score(live, spans)]
                for k, (row, found) in enumerate(zip(rows, (offline, live))):
                    totals[k] += [len(spans), *row]
                    holds, peaks = errors(found, spans, plan, abs(float(trial["peak_deg"])))
                    hold_err[k] += holds
                    peak_err[k] += peaks
                print(f"{key:<34} {len(spans):>4} {'%d/%d/%d' % rows[0]:>28} {'%d/%d/%d' % rows[1]:>25} "
                      f"{'never' if began is None else f'{began:.1f}':>11}")
    for k, label in enumerate(("offline", "live")):
        n, found, counted, false = totals[k]
        err, perr = np.array(hold_err[k]), np.array(peak_err[k])
        print(f"{label}: {found}/{n} true reps found, {counted} counted, {false} false; hold error (no sag) "
              f"{np.median(err):+.2f} s median, {err.min():+.2f} .. {err.max():+.2f} over {err.size} reps, "
              f"{np.mean(np.abs(err) <= 0.5):.0%} within 0.5 s; peak error {np.median(perr):+.1f} deg median, "
              f"{perr.min():+.1f} .. {perr.max():+.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["gt01", "gt06", "gt10", "gt11"], help="rendered clips (--real)")
    parser.add_argument("--real", action="store_true", help="sets of reps of the rendered clips' frames")
    parser.add_argument("--jitter", action="store_true", help="reps not brought back, sags, under growing jitter")
    parser.add_argument("--views", action="store_true", help="with --real: the other leg hidden or out of the picture")
    parser.add_argument("--cache", type=Path, default=Path("bench-reps-cache"), help="folder for the tracked sets")
    parser.add_argument("--truth", type=Path, default=RENDERED / "truth.json")
    args = parser.parse_args(argv)
    if args.real:
        real(args.names, args.cache, args.views, args.truth)
    elif args.jitter:
        jitter()
    else:
        synthetic()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
