"""Throughput of pose inference, of one video through the pipeline, and of a batch.

    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_throughput.py [--workers N] [--copies 2]

Prints, in one run, frames per second of:

1. **bare**: ``PoseTracker.process`` alone on frames decoded beforehand (the
   model's own speed here, MediaPipe's per-frame Python wrapping included);
2. **single**: ``hiprom.pipeline.analyze_path`` on one video at a time, i.e.
   what ``hiprom analyze`` does (decoding in ``track``'s background thread,
   a fresh tracker per video, kinematics, assessment);
3. **batch**: ``run_batch`` (what ``hiprom batch`` does) over ``--copies``
   copies of the same clips with ``--workers`` processes, wall clock from
   the call to the summary, worker start-up included;

per clip and over all clips (total frames / total time), and the ratios
single/bare (target >= 0.90) and batch/single (target: the worker count,
within 20%). Each bare and single figure is the best of ``--repeat`` runs,
because other processes on a shared machine only ever slow a run down.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared")) / "footage"
CLIPS = (
    "rendered/gt01.mp4",
    "rendered/gt06.mp4",
    "c_squats_front_tfjs.mp4",
    "b_seated_knee_ext_3quarter_physiobody.mp4",
    "b_seated_then_stand_tug_sds.mp4",
)


def decode_all(path: Path) -> list:
    """Every frame of a video, decoded up front (``Frame`` objects)."""
    from hiprom.capture import open_source

    with open_source(path) as source:
        return list(source)


def bare_fps(frames: list, model: str | None, repeat: int) -> tuple[float, float]:
    """(best fps, its seconds) of ``PoseTracker.process`` over pre-decoded frames."""
    from hiprom.pose import PoseTracker

    best = float("inf")
    with PoseTracker(model) as tracker:
        for _ in range(repeat):
            tracker.restart()
            t0 = time.perf_counter()
            for frame in frames:
                tracker.process(frame.image, frame.t_ms)
            best = min(best, time.perf_counter() - t0)
    return len(frames) / best, best


def single_fps(path: Path, model: str | None, repeat: int) -> tuple[float, float, int]:
    """(best fps, its seconds, frames) of ``analyze_path`` on one video."""
    from hiprom.pipeline import analyze_path

    best, n = float("inf"), 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        rec, _ = analyze_path(path, model=model)
        best = min(best, time.perf_counter() - t0)
        n = rec.n_frames
    return n / best, best, n


def batch_fps(clips: list[Path], model: str | None, workers: int, copies: int) -> tuple[float, float, int, int]:
    """(fps, seconds, frames, inputs) of ``run_batch`` over ``copies`` copies of ``clips``."""
    from hiprom.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="hiprom-bench-") as tmp:
        folder = Path(tmp) / "in"
        for k in range(copies):
            for clip in clips:
                dst = folder / f"copy{k}" / clip.name
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(clip, dst)
        result = run_batch([folder], Path(tmp) / "out", model=model, workers=workers, progress=False)
        if result.failed:
            sys.exit(f"batch failed: {[(r.file, r.error) for r in result.failed]}")
        return result.frames / result.seconds, result.seconds, result.frames, len(result.rows)


def main() -> None:
    from hiprom.batch.local import available_cores

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", nargs="*", help=f"videos (default: {', '.join(CLIPS)} from {FOOTAGE})")
    parser.add_argument("--model", default=None, help="pose model variant or .task file")
    parser.add_argument("--workers", type=int, default=available_cores(), help="batch workers (default: cores)")
    parser.add_argument("--copies", type=int, default=2, help="copies of each clip in the batch")
    parser.add_argument("--repeat", type=int, default=2, help="runs of bare and single, best kept")
    args = parser.parse_args()
    clips = [Path(c) for c in args.clips] or [FOOTAGE / c for c in CLIPS]
    missing = [str(c) for c in clips if not c.is_file()]
    if missing:
        sys.exit(f"missing clips: {', '.join(missing)} (set HIPROM_SHARED_DIR or pass clips)")

    from hiprom.pose import resolve_model
    from hiprom.pose._native import native_stderr_silenced

    model = str(resolve_model(args.model))
    print(f"model {Path(model).name}; {available_cores()} cores; batch: {args.workers} workers, "
          f"{args.copies} copies of {len(clips)} clips; load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'clip':44s} {'frames':>6s} {'size':>9s} {'bare fps':>9s} {'single fps':>10s} {'single/bare':>11s}")
    tot_frames = tot_bare = tot_single = 0.0
    with native_stderr_silenced(keep_python=True):
        single_fps(clips[0], model, 1)  # warm-up: imports, model file in the page cache
        for clip in clips:
            frames = decode_all(clip)
            b_fps, b_s = bare_fps(frames, model, args.repeat)
            w, h = frames[0].image.shape[1], frames[0].image.shape[0]
            del frames
            s_fps, s_s, n = single_fps(clip, model, args.repeat)
            tot_frames, tot_bare, tot_single = tot_frames + n, tot_bare + b_s, tot_single + s_s
            print(f"{clip.name:44s} {n:6d} {f'{w}x{h}':>9s} {b_fps:9.1f} {s_fps:10.1f} {s_fps / b_fps:11.2f}")
        bare, single = tot_frames / tot_bare, tot_frames / tot_single
        print(f"{'all clips':44s} {int(tot_frames):6d} {'':9s} {bare:9.1f} {single:10.1f} {single / bare:11.2f}")
        b_fps, b_s, b_frames, b_inputs = batch_fps(clips, model, args.workers, args.copies)
    print()
    print(f"bare model       {bare:7.1f} frames/s")
    print(f"single video     {single:7.1f} frames/s   single/bare = {single / bare:.2f}  (target >= 0.90)")
    print(f"batch            {b_fps:7.1f} frames/s   batch/single = {b_fps / single:.2f}  "
          f"(target {args.workers} +- 20%: {0.8 * args.workers:.1f}-{1.2 * args.workers:.1f}); "
          f"{b_inputs} inputs, {b_frames} frames in {b_s:.1f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f} (other jobs on the machine distort every figure)")


if __name__ == "__main__":
    main()
