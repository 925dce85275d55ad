"""Throughput of hiprom against MediaPipe's own model speed, measured in one run.

    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_throughput.py [--size 640x480] [--clip FILE] [--copies 4]

Works on a 30 s 1280x720 clip at 30 fps (``--size 640x480``: a webcam's 4:3,
the footage's middle), made from the shared footage when missing
(``b_seated_then_stand_tug_sds.mp4`` played forward and backward, written
with OpenCV's MPEG-4 encoder, under the system's temp folder; never commit
it). Prints, all measured in this one run:

1. **bare**: MediaPipe's own ``PoseLandmarker`` (VIDEO mode, ``num_poses=1``,
   the same model file) on frames decoded beforehand: the model's speed,
   the figure everything else is compared with; also its CPU seconds per frame,
   and, for context, bare with the clip decoded in a thread beside it (one
   frame per inference: the ceiling for ``analyze`` on this machine) and two
   bare models at once in two processes (what the cores give inference alone);
2. **decode**: CPU seconds per frame of reading the clip (``open_source``);
3. **analyze**: ``hiprom analyze CLIP`` as a whole process (start-up, model
   loading, decoding, tracking, kernel, assessment), frames / wall time;
   target >= 0.90x bare (goal 0.95x); a 30 s clip is tracked as two halves at
   once (``hiprom.pose.split``), so also the same command in one pass;
4. **batch**: ``run_batch`` (what ``hiprom batch`` does) on ``--copies``
   copies of the clip with ``--workers`` processes, against the machine's
   limit ``cores / CPU seconds per frame (decode + one-person inference)``;
   target >= 0.9x. For context, the same decode + bare model as two batch-like
   processes at once (one thread each, every frame decoded in line): the limit with
   what two processes cost each other on this machine (shared caches and memory).
   Like bare and ``analyze``, the best of ``--repeat`` runs;
5. **live**: the real server (``bench_live.run``) offered the clip at its
   30 fps: frames processed / offered, and the capture-to-message latency
   against one inference (1000 / bare fps); target: every frame, <= 1.5x; measured
   from 1 s after the first frame (the model's warm-up, whose drops are printed too).
   On a machine where one inference is longer than a frame no loop can take
   every frame; there the figure to read is the share of the model's own speed
   it keeps. Best of ``--repeat`` runs too (by frames processed), each printed.

Other processes on a shared machine slow every figure down; the load average
is printed before and after, and only the ratios within one run mean much.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared")) / "footage"
SOURCE_CLIP = FOOTAGE / "b_seated_then_stand_tug_sds.mp4"
CLIP_DIR = Path(tempfile.gettempdir()) / "hiprom-bench"
SIZES = {"1280x720": (1280, 720), "640x480": (640, 480)}
"""Clip sizes ``--size`` can make: the footage's own 16:9, and a webcam's 4:3 (its middle 960x720, scaled)."""
FPS = 30.0
SECONDS = 30.0
BARE_FRAMES = 900
"""Frames decoded beforehand for the bare figure: the whole 30 s clip (~2.5 GB at 720p), so bare and
``analyze`` run over the same frames and equally long (a shorter run's best-of is luckier on a noisy machine)."""


def make_clip(target: Path, size_wh: tuple[int, int], source: Path = SOURCE_CLIP) -> None:
    """``SECONDS`` of ``source`` at ``FPS`` and ``size_wh``, played forward then backward (no jump cut);
    its middle cut to the aspect of ``size_wh`` first."""
    import cv2

    cap = cv2.VideoCapture(str(source))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        h, w = bgr.shape[:2]
        keep = min(w, round(h * size_wh[0] / size_wh[1]))
        bgr = bgr[:, (w - keep) // 2:(w - keep) // 2 + keep]
        frames.append(cv2.resize(bgr, size_wh, interpolation=cv2.INTER_AREA) if bgr.shape[1::-1] != size_wh else bgr)
    cap.release()
    if not frames:
        sys.exit(f"bench_throughput: cannot read {source} (set HIPROM_SHARED_DIR or pass --clip)")
    order = list(range(len(frames))) + list(range(len(frames) - 2, 0, -1))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part.mp4")
    writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*"mp4v"), FPS, size_wh)
    for i in range(int(SECONDS * FPS)):
        writer.write(frames[order[i % len(order)]])
    writer.release()
    partial.replace(target)


def decode_cost(clip: Path) -> tuple[float, int]:
    """(CPU seconds per frame, frames) of reading ``clip`` through ``open_source``."""
    from hiprom.capture import open_source

    c0, n = time.process_time(), 0
    with open_source(clip) as source:
        for _ in source:
            n += 1
    return (time.process_time() - c0) / n, n


def decoded(clip: Path, n: int) -> list:
    """The first ``n`` frames of ``clip``, decoded (RGB) through ``open_source``."""
    from hiprom.capture import open_source

    with open_source(clip) as source:
        return [f for _, f in zip(range(n), source)]


def _bare_landmarker(model: str) -> tuple[Any, Callable[[Any], None]]:
    """MediaPipe's own ``PoseLandmarker`` (VIDEO mode, one person; a context manager) and a function
    that infers one decoded frame with it at the frame's time."""
    from mediapipe import Image, ImageFormat
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model), running_mode=vision.RunningMode.VIDEO, num_poses=1
    )
    landmarker = vision.PoseLandmarker.create_from_options(options)

    def infer(frame: Any) -> None:
        landmarker.detect_for_video(Image(image_format=ImageFormat.SRGB, data=frame.image), int(round(frame.t_ms)))

    return landmarker, infer


def bare(frames: list, model: str, decode_beside: Path | None = None) -> tuple[float, float]:
    """(frames/s, CPU seconds per frame) of MediaPipe's PoseLandmarker, one person, on ``frames`` decoded beforehand.

    With ``decode_beside``, a thread decodes that clip alongside, one frame per frame inferred
    (what ``analyze``'s decoding thread does): the most ``analyze`` can reach on this machine.
    """
    from hiprom.capture import open_source

    turns = threading.Semaphore(0)
    stop = threading.Event()

    def decode() -> None:
        with open_source(decode_beside) as source:
            for _ in source:
                turns.acquire()
                if stop.is_set():
                    return

    decoder = threading.Thread(target=decode, daemon=True) if decode_beside is not None else None
    landmarker, infer = _bare_landmarker(model)
    with landmarker:
        infer(frames[0])  # warm-up
        if decoder is not None:
            decoder.start()
        t0, c0 = time.perf_counter(), time.process_time()
        for f in frames[1:]:
            turns.release()
            infer(f)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    stop.set()
    turns.release()
    n = len(frames) - 1
    return n / wall, cpu / n


def _two_at_once(target: Callable[..., float], clip: Path, model: str, n: int, threads: int | None = None) -> float:
    """``target(clip, model, n, start)`` in two spawned processes started together, its frames/s summed;
    with ``threads``, each process's thread pools limited first, as a batch worker's are."""
    from hiprom.cores import limit_threads

    ctx = multiprocessing.get_context("spawn")
    start = time.time() + 8.0  # after both processes have started and made their frames and model ready
    init, args = (limit_threads, (threads,)) if threads is not None else (None, ())
    with ctx.Pool(2, initializer=init, initargs=args) as pool:
        return sum(pool.starmap(target, [(clip, model, n, start)] * 2))


def _bare_at(clip: Path, model: str, n: int, start: float) -> float:
    """Frames/s of ``bare`` on ``n`` frames, started at wall-clock time ``start`` (for ``bare_pair``)."""
    frames = decoded(clip, n)
    time.sleep(max(0.0, start - time.time()))
    return bare(frames, model)[0]


def bare_pair(clip: Path, model: str, n: int = 400) -> float:
    """Frames/s of two bare models run at once in two processes, summed: the machine's inference limit."""
    return _two_at_once(_bare_at, clip, model, n)


def _decode_bare_at(clip: Path, model: str, n: int, start: float) -> float:
    """Frames/s of a batch-like process decoding ``clip`` and running the bare model on each frame
    in line, over ``n`` frames after a warm-up one, started at wall-clock time ``start``."""
    from hiprom.capture import open_source

    landmarker, infer = _bare_landmarker(model)
    with landmarker, open_source(clip) as source:
        frames = iter(source)
        infer(next(frames))  # warm-up
        time.sleep(max(0.0, start - time.time()))
        t0, done = time.perf_counter(), 0
        for f in frames:
            infer(f)
            done += 1
            if done == n:
                break
        return done / (time.perf_counter() - t0)


def decode_bare_pair(clip: Path, model: str, n: int = 600) -> float:
    """Frames/s of two batch-like decode + bare processes at once (threads limited to one), summed:
    the batch limit with the cost two processes impose on each other, which ``cores / CPU per frame``
    leaves out."""
    return _two_at_once(_decode_bare_at, clip, model, n, threads=1)


ONE_PASS = ("import sys; from hiprom.pose.split import one_pass; from hiprom.cli.main import run; "
            "sys.argv[0] = 'hiprom'\nwith one_pass(): run()")
"""``hiprom`` with every video tracked in one pass (never as two halves at once)."""


def analyze_process(clip: Path, model: str, frames: int, one_pass: bool = False) -> tuple[float, float]:
    """(frames/s, CPU seconds per frame) of ``hiprom analyze CLIP`` as a whole process, start-up included;
    with ``one_pass``, the same command with the video tracked in one pass (``hiprom.pose.split``)."""
    start = ["-c", ONE_PASS] if one_pass else ["-m", "hiprom.cli.main"]
    cmd = [sys.executable, *start, "analyze", str(clip), "--model", model, "--quiet"]
    t0, c0 = time.perf_counter(), children_cpu_s()
    run = subprocess.run(cmd, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, children_cpu_s() - c0
    if run.returncode not in (0, 4):  # 4: analysed, nothing measurable (fine for a speed test)
        sys.exit(f"bench_throughput: hiprom analyze failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    return frames / wall, cpu / frames


def children_cpu_s() -> float:
    """CPU seconds used so far by this process's finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def copy_of(clip: Path, target: Path, k: int) -> Path:
    """``clip`` copied to ``target`` with bytes of its own: a batch analyses byte-identical inputs once, so each
    copy ends in a top-level MP4 ``free`` box of ``k + 1`` zero bytes, which players and FFmpeg skip."""
    shutil.copy(clip, target)
    with target.open("ab") as fh:
        fh.write(struct.pack(">I4s", 8 + k + 1, b"free") + bytes(k + 1))
    return target


def batch(clip: Path, model: str, workers: int, copies: int) -> tuple[float, float, int, float]:
    """(frames/s, seconds, frames, worker CPU seconds) of ``run_batch`` over ``copies`` copies of ``clip``."""
    from hiprom.batch import run_batch

    with tempfile.TemporaryDirectory(prefix="hiprom-bench-") as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for k in range(copies):
            copy_of(clip, folder / f"copy{k}{clip.suffix}", k)
        cpu0 = children_cpu_s()
        result = run_batch([folder], Path(tmp) / "out", model=model, workers=workers, progress=False)
        cpu = children_cpu_s() - cpu0
        if result.failed:
            sys.exit(f"bench_throughput: batch failed: {[(r.file, r.error) for r in result.failed]}")
        return result.frames / result.seconds, result.seconds, result.frames, cpu


def live(clip: Path, model: str, seconds: float) -> dict:
    """The live loop on the real server, the clip offered at its own rate (see ``bench_live``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_live import run

    return run(str(clip), seconds, 1.0, model)


def main() -> None:
    from hiprom.cores import available_cores
    from hiprom.native_stderr import native_stderr_silenced
    from hiprom.pose import resolve_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="1280x720",
                        help="size of the test clip made from the footage (default 1280x720)")
    parser.add_argument("--clip", type=Path, default=None,
                        help=f"the test clip, made at --size when missing (default: {CLIP_DIR}/tug_SIZE_30s.mp4)")
    parser.add_argument("--model", default=None, help="pose model variant or .task file")
    parser.add_argument("--workers", type=int, default=2, help="batch workers (default 2)")
    parser.add_argument("--copies", type=int, default=4, help="copies of the clip in the batch (default 4)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure but live, alternated, best kept (default 3)")
    parser.add_argument("--live-seconds", type=float, default=15.0, help="measuring time of the live loop")
    args = parser.parse_args()
    args.clip = args.clip or CLIP_DIR / f"tug_{args.size}_30s.mp4"
    if not args.clip.is_file():
        print(f"making {args.clip} ({args.size}) from {SOURCE_CLIP.name} ...", flush=True)
        make_clip(args.clip, SIZES[args.size])
    model = str(resolve_model(args.model))
    cores = available_cores()
    print(f"clip {args.clip.name}; model {Path(model).name}; {cores} cores; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with native_stderr_silenced(keep_python=True):
        decode_s, frames = decode_cost(args.clip)
        # Alternated and best of --repeat: a busy machine only ever slows a run down.
        pre = decoded(args.clip, BARE_FRAMES)
        runs = [(bare(pre, model), analyze_process(args.clip, model, frames), bare(pre, model, decode_beside=args.clip),
                 analyze_process(args.clip, model, frames, one_pass=True))
                for _ in range(args.repeat)]
        del pre
        bare_fps, infer_s = max(r[0] for r in runs)
        analyze_fps, analyze_cpu_s = max(r[1] for r in runs)
        beside_fps = max(r[2] for r in runs)[0]
        one_pass_fps, one_pass_cpu_s = max(r[3] for r in runs)
        inference_ms = 1000.0 / bare_fps
        print(f"{'':34s} {'frames/s':>9s} {'ratio':>7s}  target")
        print(f"{'bare model (1 person, decoded)':34s} {bare_fps:9.1f} {1.0:7.2f}  "
              f"({inference_ms:.1f} ms, {1000 * infer_s:.1f} CPU-ms per frame)", flush=True)
        print(f"{'  with the clip decoded beside it':34s} {beside_fps:9.1f} {beside_fps / bare_fps:7.2f}  "
              "(a thread decoding one frame per inference: the most one pass can reach here)", flush=True)
        print(f"{'hiprom analyze (whole process)':34s} {analyze_fps:9.1f} {analyze_fps / bare_fps:7.2f}  "
              f">= 0.90 of bare (goal 0.95); {1000 * analyze_cpu_s:.1f} CPU-ms per frame = "
              f"{analyze_cpu_s / (decode_s + infer_s):.2f}x decode + inference; two halves at once", flush=True)
        print(f"{'  the same in one pass':34s} {one_pass_fps:9.1f} {one_pass_fps / bare_fps:7.2f}  "
              f"({1000 * one_pass_cpu_s:.1f} CPU-ms per frame = {one_pass_cpu_s / (decode_s + infer_s):.2f}x "
              "decode + inference: the video tracked frame after frame, as a shorter one is)", flush=True)
        limit_fps = cores / (decode_s + infer_s)
        print(f"{'machine limit':34s} {limit_fps:9.1f} {limit_fps / bare_fps:7.2f}  "
              f"({cores} cores / ({1000 * decode_s:.1f} decode + {1000 * infer_s:.1f} inference) CPU-ms)", flush=True)
        pair_fps = bare_pair(args.clip, model)
        print(f"{'  two bare models at once':34s} {pair_fps:9.1f} {pair_fps / bare_fps:7.2f}  "
              f"(two processes, no decoding: what {cores} cores give inference alone)", flush=True)
        # Best of --repeat too, alternated with the same decode + bare model in two batch-like processes.
        paired = [(decode_bare_pair(args.clip, model), batch(args.clip, model, args.workers, args.copies))
                  for _ in range(args.repeat)]
        pair_decode_fps = max(r[0] for r in paired)
        batch_fps, batch_s, batch_frames, batch_cpu = max(r[1] for r in paired)
        print(f"{f'batch, {args.workers} workers, {args.copies} copies':34s} {batch_fps:9.1f} {batch_fps / bare_fps:7.2f}  "
              f"batch/limit = {batch_fps / limit_fps:.2f} (>= 0.9); {batch_frames} frames in {batch_s:.1f} s; "
              f"runs: {', '.join(f'{r[1][0] / limit_fps:.2f}' for r in paired)}", flush=True)
        print(f"{'  decode + bare, two at once':34s} {pair_decode_fps:9.1f} {pair_decode_fps / bare_fps:7.2f}  "
              f"{pair_decode_fps / limit_fps:.2f} of the limit (two batch-like processes, no hiprom: what running "
              f"two costs here); batch/this = {batch_fps / pair_decode_fps:.2f}", flush=True)
        # On a busy machine the workers get fewer cores than it has: compare with what they got.
        got = batch_cpu / batch_s
        print(f"{'  for the CPU it got':34s} {'':9s} {'':7s}  {got:.2f} cores on average; "
              f"{1000 * batch_cpu / batch_frames:.1f} CPU-ms per frame vs {1000 * (decode_s + infer_s):.1f} "
              f"decode + inference: batch/limit at {got:.2f} cores = "
              f"{batch_fps / (got / (decode_s + infer_s)):.2f}", flush=True)
        live_runs = [live(args.clip, model, args.live_seconds) for _ in range(args.repeat)]
    lv = max(live_runs, key=lambda r: r["processed_fps"])
    live_ratios = ", ".join(f"{r['processed_fps'] / bare_fps:.2f}" for r in live_runs)
    every = lv["dropped"] == 0 and lv["processed_fps"] >= 0.98 * lv["offered_fps"]
    print(f"{'live loop, offered at 30 fps':34s} {lv['processed_fps']:9.1f} {lv['processed_fps'] / bare_fps:7.2f}  "
          f"every frame: {'yes' if every else 'no'} ({lv['frames']} processed, {lv['dropped']} dropped, "
          f"{lv['offered_fps']:.0f} offered per s, after 1 s of warm-up that dropped {lv['warmup_dropped']}); "
          f"runs: {live_ratios} of bare")
    if bare_fps < lv["offered_fps"]:
        print(f"{'  (one inference > one frame)':34s} {'':9s} {'':7s}  no loop can take every frame here; "
              f"the live loop keeps {lv['processed_fps'] / bare_fps:.2f} of the model's own speed")
    print(f"{'  capture -> message latency':34s} {'':9s} {'':7s}  median {lv['sent_median']:.1f} ms = "
          f"{lv['sent_median'] / inference_ms:.2f}x one inference (<= 1.5), p95 {lv['sent_p95']:.1f} ms = "
          f"{lv['sent_p95'] / inference_ms:.2f}x; pose+kernel median {lv['process_median']:.1f} ms")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(other jobs on the machine slow every figure; compare ratios within one run)")


if __name__ == "__main__":
    main()
