"""Latency and frame rate of the live server, measured end to end on a real server.

Starts ``create_app`` under uvicorn on a free 127.0.0.1 port, connects a
WebSocket client to ``/ws/live`` and, for each scenario, reads the messages
for a few seconds::

    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_live.py [--seconds 8] [--source FILE]

Printed per scenario:

- *capture -> sent*: from the moment the frame was grabbed from the source
  to the moment its message was handed to the clients (``timing.latency_ms``:
  pose inference + kernel + guide + JSON), median and 95th percentile;
- *capture -> received*: the same up to the moment this client received it
  (adds the event loop and the WebSocket), median and p95;
- *processed/s*: messages (processed frames) per second of wall time, against
  the frames per second the source offered; the rest were dropped as stale;
- *pose+kernel*: time spent in the worker on one frame.

Measuring starts ``WARMUP_S`` after the first processed frame: MediaPipe's first
inferences on a person take 45-165 ms each (about 0.3 s in all), so a few frames
are dropped then; they are reported apart (``warmup_dropped``).

Scenarios: the rendered clip at its own rate (10 fps, as if live), the same
clip offered 10x faster than the model can follow (frames dropped, latency
must stay low), and the landmark demo (no model: the server's own overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared"))
CLIP = SHARED / "footage" / "rendered" / "gt01.mp4"


WARMUP_S = 1.0
"""Seconds after the first processed frame that are not measured: the pose model's warm-up."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(source: str, seconds: float, speed: float, model: str | None) -> dict:
    """One scenario on a fresh server: the figures of the frame messages received."""
    from websockets.sync.client import connect

    from hiprom.server.runner import serve_in_thread
    from hiprom.server.settings import ServerSettings

    settings = ServerSettings(source=source, loop=True, replay_speed=speed, model=model, records=False)
    with serve_in_thread(settings) as url:
        with connect(url.replace("http://", "ws://") + "/ws/live", open_timeout=10, max_size=None) as ws:
            # Warm up: wait for the first measured frame (the model loads first).
            deadline = time.monotonic() + 60
            while True:
                msg = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
                if msg["type"] == "frame":
                    break
                if msg["status"]["level"] == "error":
                    raise SystemExit(f"bench_live: {msg['status']['text']}")
            # MediaPipe's first inferences on a person are slow (45-165 ms each for about
            # 0.3 s): frames dropped then are start-up, reported apart from the steady state.
            start_dropped = msg["quality"]["dropped"]
            settle = time.monotonic() + WARMUP_S
            while time.monotonic() < settle:
                msg = json.loads(ws.recv(timeout=10))
            first_dropped = msg["quality"]["dropped"]
            sent, received, process = [], [], []
            t0 = time.monotonic()
            fps_source = msg["source"]["fps"] * speed
            while time.monotonic() - t0 < seconds:
                msg = json.loads(ws.recv(timeout=10))
                now_ms = time.time() * 1000.0
                if msg["type"] != "frame":
                    continue
                timing = msg["timing"]
                sent.append(timing["latency_ms"])
                received.append(now_ms - timing["captured_unix_ms"])
                process.append(timing["process_ms"])
            wall = time.monotonic() - t0
            dropped = msg["quality"]["dropped"] - first_dropped
    return {
        "frames": len(sent),
        "wall_s": wall,
        "offered_fps": fps_source,
        "processed_fps": len(sent) / wall,
        "dropped": dropped,
        "warmup_dropped": first_dropped - start_dropped,
        "sent_median": statistics.median(sent),
        "sent_p95": percentile(sent, 0.95),
        "recv_median": statistics.median(received),
        "recv_p95": percentile(received, 0.95),
        "process_median": statistics.median(process),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per scenario")
    parser.add_argument("--source", default=str(CLIP), help="video for the model scenarios (default: rendered gt01.mp4)")
    parser.add_argument("--model", default=None, help="pose model variant or file")
    args = parser.parse_args(argv)

    scenarios = []
    if Path(args.source).is_file():
        scenarios += [
            (f"{Path(args.source).name}, own rate (as if live)", args.source, 1.0),
            (f"{Path(args.source).name}, offered 10x faster", args.source, 10.0),
        ]
    else:
        print(f"bench_live: {args.source} not found; only the landmark demo is measured", file=sys.stderr)
    scenarios.append(("demo landmarks, no model (30 fps)", "demo", 1.0))

    print(f"{'scenario':44} {'frames':>6} {'offered/s':>9} {'processed/s':>11} {'dropped':>7} "
          f"{'capture->sent ms':>17} {'capture->received ms':>21} {'pose+kernel ms':>14}")
    print(f"{'':44} {'':>6} {'':>9} {'':>11} {'':>7} {'median / p95':>17} {'median / p95':>21} {'median':>14}")
    for label, source, speed in scenarios:
        r = run(source, args.seconds, speed, args.model)
        print(
            f"{label:44} {r['frames']:6d} {r['offered_fps']:9.1f} {r['processed_fps']:11.1f} {r['dropped']:7d} "
            f"{r['sent_median']:8.1f} / {r['sent_p95']:6.1f} {r['recv_median']:12.1f} / {r['recv_p95']:6.1f} "
            f"{r['process_median']:14.1f}"
        )
    print(f"(machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
