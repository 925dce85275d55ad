"""A clinic day in minutes: one server, one page, patient after patient; do its resources stay bounded?

One ``hiprom serve`` (in a child process, so its memory is its own) and one Chromium page that is never
reloaded. Part 1, on the server's source (the guided demo, ``--speed``): N guided tests in a row, each saved
under its own pseudonym and its PDF made. Part 2, on this device's camera (Chromium's fake camera playing
a real clip, the real pose model): N socket drops, each followed by the page's own reconnect and pictures
measured again. After each part the server's RSS, open file descriptors, threads and asyncio tasks and the
page's JS heap (after a garbage collection), DOM nodes and event listeners are read; the growth per test
and per reconnect is printed.

    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_clinic_day.py --tests 5 --reconnects 5
    HIPROM_MODEL_DIR=../shared/models python benchmarks/bench_clinic_day.py --tests 20 --reconnects 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIP = Path(os.environ.get("HIPROM_SHARED_DIR", REPO.parent / "shared")) / "footage" / "rendered" / "gt01.mp4"


def serve_child(db: str, speed: float) -> None:
    """The server (child process): print its URL, then one JSON line of its resources per line read."""
    from hiprom.server.app import create_app
    from hiprom.server.runner import bind_socket, make_server
    from hiprom.server.settings import ServerSettings

    app = create_app(ServerSettings(source="demo", loop=True, replay_speed=speed, db=db))
    sock = bind_socket("127.0.0.1", 0)
    server = make_server(app, "warning")
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    loop = server.servers[0].get_loop()
    print(f"http://127.0.0.1:{sock.getsockname()[1]}", flush=True)

    async def tasks() -> int:
        return len(asyncio.all_tasks())

    for _ in sys.stdin:
        status = Path("/proc/self/status").read_text()
        print(json.dumps({
            "rss_mb": int(status.split("VmRSS:")[1].split()[0]) / 1024,
            "fds": len(os.listdir("/proc/self/fd")),
            "threads": threading.active_count(),
            "tasks": asyncio.run_coroutine_threadsafe(tasks(), loop).result(10),
        }), flush=True)


def page_metrics(cdp) -> dict:
    cdp.send("HeapProfiler.collectGarbage")
    m = {x["name"]: x["value"] for x in cdp.send("Performance.getMetrics")["metrics"]}
    return {"heap_mb": m["JSHeapUsedSize"] / 1e6, "nodes": int(m["Nodes"]), "listeners": int(m["JSEventListeners"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=5)
    ap.add_argument("--reconnects", type=int, default=5)
    ap.add_argument("--speed", type=float, default=4.0)
    ap.add_argument("--every", type=int, default=0, help="also read the resources after every this many tests")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "tests"))
    from playwright.sync_api import sync_playwright

    from web.conftest import BASE_ARGS, chromium_path, write_y4m

    tmp = Path(tempfile.mkdtemp(prefix="hiprom-clinic-"))
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(tmp / "r.db"), str(args.speed)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = child.stdout.readline().strip()

    def server() -> dict:
        child.stdin.write("\n")
        child.stdin.flush()
        return json.loads(child.stdout.readline())

    y4m = write_y4m(CLIP, tmp / "clip.y4m")
    rows = []
    steps = []  # the readings in between (--every)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=[
            *BASE_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"])
        page = browser.new_context(viewport={"width": 1366, "height": 800}, accept_downloads=True).new_page()
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(url + "/?mode=server")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=60_000)
        rows.append(("start", server(), page_metrics(cdp)))
        t0 = time.monotonic()
        rid = ""
        for i in range(args.tests):
            page.keyboard.press("Space")  # where the last one left the focus (the PDF link), as a clinician does
            page.wait_for_function(f"() => document.getElementById('results').hidden === false"
                                   f" && document.getElementById('results').dataset.rid !== {json.dumps(rid)}"
                                   " && document.getElementById('guide').dataset.phase === 'results'"
                                   " && document.getElementById('save-status').textContent === ''",
                                   timeout=180_000)
            rid = page.locator("#results").get_attribute("data-rid")
            page.locator("#subject").fill(f"P{i:03d}")
            page.locator("#btn-save").click()
            page.wait_for_function("() => /^Saved as session/.test(document.getElementById('save-status').textContent)",
                                   timeout=30_000)
            with page.expect_download(timeout=180_000):
                page.keyboard.press("d")
            if args.every and (i + 1) % args.every == 0 and i + 1 < args.tests:
                steps.append((f"after {i + 1} tests", server(), page_metrics(cdp)))
        rows.append((f"after {args.tests} tests", server(), page_metrics(cdp)))
        per_test_s = (time.monotonic() - t0) / max(1, args.tests)

        page.locator("#mode-browser").click()
        page.wait_for_function("() => document.getElementById('caption').textContent === \"this device's camera\"",
                               timeout=30_000)
        page.evaluate("document.body.dataset.frames = '0'")  # the server camera's socket is closed: answers from now
        page.evaluate("import('/static/state.js').then((m) => { window.__app = m.app;"
                      " window.__answered = () => Number(document.body.dataset.frames || 0); })")
        page.wait_for_function("() => window.__answered() > 20", timeout=120_000)  # the model loaded
        rows.append(("browser camera on", server(), page_metrics(cdp)))
        for _ in range(args.reconnects):
            page.wait_for_function("() => window.__app.ws && window.__app.ws.readyState === WebSocket.OPEN",
                                   timeout=60_000)
            before = page.evaluate("window.__answered()")
            page.evaluate("window.__app.ws.close()")
            page.wait_for_function(f"() => window.__answered() > {before} + 5", timeout=120_000)
        rows.append((f"after {args.reconnects} reconnects", server(), page_metrics(cdp)))
        browser.close()
    child.stdin.close()
    child.wait(30)

    print(f"{args.tests} guided tests (each saved, its PDF made; {per_test_s:.1f} s each), then "
          f"{args.reconnects} reconnects of this device's camera")
    print(f"{'when':<22} {'RSS MB':>7} {'fds':>4} {'threads':>7} {'tasks':>5} {'JS heap MB':>10} {'nodes':>6} {'listeners':>9}")
    for when, s, p in rows[:1] + steps + rows[1:]:
        print(f"{when:<22} {s['rss_mb']:7.1f} {s['fds']:4d} {s['threads']:7d} {s['tasks']:5d} {p['heap_mb']:10.2f}"
              f" {p['nodes']:6d} {p['listeners']:9d}")
    (_, s0, p0), (_, s1, p1), (_, s2, p2), (_, s3, p3) = rows
    n, r = max(1, args.tests), max(1, args.reconnects)
    print(f"per test:      RSS {(s1['rss_mb'] - s0['rss_mb']) / n:+.2f} MB, fds {(s1['fds'] - s0['fds']) / n:+.2f},"
          f" threads {(s1['threads'] - s0['threads']) / n:+.2f}, tasks {(s1['tasks'] - s0['tasks']) / n:+.2f},"
          f" JS heap {(p1['heap_mb'] - p0['heap_mb']) / n:+.3f} MB, nodes {(p1['nodes'] - p0['nodes']) / n:+.1f},"
          f" listeners {(p1['listeners'] - p0['listeners']) / n:+.1f}")
    print(f"per reconnect: RSS {(s3['rss_mb'] - s2['rss_mb']) / r:+.2f} MB, fds {(s3['fds'] - s2['fds']) / r:+.2f},"
          f" threads {(s3['threads'] - s2['threads']) / r:+.2f}, tasks {(s3['tasks'] - s2['tasks']) / r:+.2f},"
          f" JS heap {(p3['heap_mb'] - p2['heap_mb']) / r:+.3f} MB, nodes {(p3['nodes'] - p2['nodes']) / r:+.1f},"
          f" listeners {(p3['listeners'] - p2['listeners']) / r:+.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve_child(sys.argv[2], float(sys.argv[3]))
    else:
        main()
