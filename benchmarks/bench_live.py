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

``--with-page`` measures instead what a person at home pays for watching the page in a browser on the
server's own machine: the source at its own rate during a guided test, without the page and with it
open in Debian's headless Chromium (as the browser tests start it), alternated ``--repeat`` times; for
the page also the cores its processes use (psutil), Chromium's counters of its task, script, layout and
style work (CDP ``Performance.getMetrics``) and what it receives a second (CDP ``Network``, over 3 s
after the rest: the WebSocket's messages as sent, before permessage-deflate, and the MJPEG picture)::

    python benchmarks/bench_live.py --with-page --source /tmp/hiprom-bench/tug_1280x720_30s.mp4 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared"))
CLIP = SHARED / "footage" / "rendered" / "gt01.mp4"


WARMUP_S = 1.0
"""Seconds after the first processed frame that are not measured: the pose model's warm-up."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


PAGE_METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration", "LayoutCount", "RecalcStyleCount")
"""Chromium's own counters (CDP ``Performance.getMetrics``) reported per second: seconds of work, and counts."""


class PageWatch:
    """The live page open in Debian's headless Chromium (as the browser tests start it): its processes' CPU,
    Chromium's counters of script, layout and style work, and the bytes it receives."""

    def __init__(self, url: str) -> None:
        from playwright.sync_api import sync_playwright

        sys.path.insert(0, str(REPO))
        from tests.web.conftest import BASE_ARGS, CHROMIUM

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BASE_ARGS)
        self.page = self.browser.new_page(viewport={"width": 1280, "height": 800}, bypass_csp=True)
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.cdp.send("Performance.enable")
        self.page.goto(url + "/")
        self.page.wait_for_function("Number(document.body.dataset.frames) > 5", timeout=60_000)

    @classmethod
    @contextmanager
    def maybe(cls, url: str | None):
        """A ``PageWatch`` on ``url`` for the ``with`` block, closed after; None when ``url`` is None."""
        if url is None:
            yield None
            return
        watch = cls(url)
        try:
            yield watch
        finally:
            watch.browser.close()
            watch._pw.stop()

    def _cpu(self) -> dict[int, float]:
        out = {}
        for proc in psutil.Process().children(recursive=True):
            try:
                if "chrom" in proc.name():
                    out[proc.pid] = sum(proc.cpu_times()[:2])
            except psutil.Error:
                pass
        return out

    def _metrics(self) -> dict[str, float]:
        return {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}

    def begin(self) -> None:
        """Start measuring."""
        self._cpu0, self._metrics0 = self._cpu(), self._metrics()
        self._frames0 = self.page.evaluate("Number(document.body.dataset.frames)")

    def end(self, wall_s: float) -> dict:
        """The figures since ``begin``, per second of ``wall_s``; then the bytes received over 3 s more."""
        cpu1, m1 = self._cpu(), self._metrics()
        cpu = sum(t - self._cpu0.get(pid, 0.0) for pid, t in cpu1.items())
        out = {"browser_cores": cpu / wall_s,
               "page_frames_s": (self.page.evaluate("Number(document.body.dataset.frames)") - self._frames0) / wall_s}
        for name in PAGE_METRICS:
            out[f"page_{name}"] = (m1[name] - self._metrics0[name]) / wall_s
        out.update(self._bytes(3.0))
        return out

    def _bytes(self, seconds: float) -> dict:
        """Kilobytes a second the page receives: the picture (MJPEG) and the WebSocket's messages (as sent)."""
        got = {"mjpeg": 0, "ws": 0, "ws_messages": 0}
        mjpeg: set[str] = set()

        def response(ev):
            if "video.mjpg" in ev["response"]["url"]:
                mjpeg.add(ev["requestId"])

        def data(ev):
            if ev["requestId"] in mjpeg:
                got["mjpeg"] += ev["encodedDataLength"] or ev["dataLength"]

        def frame(ev):
            got["ws"] += len(ev["response"]["payloadData"].encode())
            got["ws_messages"] += 1

        self.cdp.on("Network.responseReceived", response)
        self.cdp.on("Network.dataReceived", data)
        self.cdp.on("Network.webSocketFrameReceived", frame)
        self.cdp.send("Network.enable")
        # The picture's response was received before: open it again so its bytes are seen (the page shows the same).
        self.page.evaluate("(() => { const m = document.getElementById('mjpeg'); const u = new URL(m.src);"
                           " u.searchParams.set('again', '1'); m.src = u; })()")
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            self.page.wait_for_timeout(100)
        self.cdp.send("Network.disable")
        wall = time.monotonic() - t0
        return {"page_mjpeg_kb_s": got["mjpeg"] / 1024 / wall, "page_ws_kb_s": got["ws"] / 1024 / wall,
                "page_ws_msgs_s": got["ws_messages"] / wall}


def run(source: str, seconds: float, speed: float, model: str | None, page: bool = False) -> dict:
    """One scenario on a fresh server: the figures of the frame messages received.

    ``page``: the live page open in headless Chromium the whole time, and a guided test started (as a person at
    home, with the browser on the server's own machine); adds the browser's figures (see ``PageWatch``).
    """
    from websockets.sync.client import connect

    from hiprom.server.runner import serve_in_thread
    from hiprom.server.settings import ServerSettings

    settings = ServerSettings(source=source, loop=True, replay_speed=speed, model=model, records=False)
    with serve_in_thread(settings) as url, PageWatch.maybe(url if page else None) as watch:
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
            n_bytes = 0
            if watch:
                ws.send(json.dumps({"type": "command", "action": "start"}))
                watch.begin()
            server_cpu0 = sum(psutil.Process().cpu_times()[:2])
            t0 = time.monotonic()
            fps_source = msg["source"]["fps"] * speed
            while time.monotonic() - t0 < seconds:
                text = ws.recv(timeout=10)
                now_ms = time.time() * 1000.0
                n_bytes += len(text.encode())
                msg = json.loads(text)
                if msg["type"] != "frame":
                    continue
                timing = msg["timing"]
                sent.append(timing["latency_ms"])
                received.append(now_ms - timing["captured_unix_ms"])
                process.append(timing["process_ms"])
            wall = time.monotonic() - t0
            server_cpu = sum(psutil.Process().cpu_times()[:2]) - server_cpu0
            dropped = msg["quality"]["dropped"] - first_dropped
            browser = watch.end(wall) if watch else {}
    return {
        **browser,
        "server_cores": server_cpu / wall,
        "ws_kb_s": n_bytes / 1024 / wall,
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


def with_page(args: argparse.Namespace) -> int:
    """The live loop during a guided test with the page open in Chromium on the same machine, and without."""
    print(f"{'run (load)':18} {'processed/s':>11} {'dropped':>7} {'capture->received ms':>20} {'server':>6} "
          f"{'browser':>7} {'page: task/script/layout/style ms/s':>35} {'layouts/s':>9} {'WS kB/s':>7} "
          f"{'msg/s':>5} {'MJPEG kB/s':>10}")
    for i in range(args.repeat):
        for page in (False, True):
            load = os.getloadavg()[0]
            r = run(args.source, args.seconds, 1.0, args.model, page=page)
            label = f"{'page' if page else 'no page'} ({load:.1f})"
            line = (f"{label:18} {r['processed_fps']:5.1f} of {r['offered_fps']:2.0f} {r['dropped']:7d} "
                    f"{r['recv_median']:9.1f} ({r['recv_p95']:6.1f}) {r['server_cores']:6.2f}")
            if page:
                work = "/".join(f"{1000 * r[f'page_{k}Duration']:.0f}" for k in ("Task", "Script", "Layout", "RecalcStyle"))
                line += (f" {r['browser_cores']:7.2f} {work:>35} {r['page_LayoutCount']:9.1f} {r['page_ws_kb_s']:7.0f} "
                         f"{r['page_ws_msgs_s']:5.1f} {r['page_mjpeg_kb_s']:10.0f}")
            else:
                line += f" {'':7} {'':35} {'':9} {r['ws_kb_s']:7.0f}"
            print(line, flush=True)
    print("(server and browser: cores used, CPU seconds per second; WS kB/s uncompressed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measuring time per scenario")
    parser.add_argument("--source", default=str(CLIP), help="video for the model scenarios (default: rendered gt01.mp4)")
    parser.add_argument("--model", default=None, help="pose model variant or file")
    parser.add_argument("--with-page", action="store_true",
                        help="the source at its own rate during a guided test, with the page open in headless "
                             "Chromium and without, alternated (--repeat times each)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each with --with-page (default 3)")
    args = parser.parse_args(argv)
    if args.with_page:
        return with_page(args)

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
