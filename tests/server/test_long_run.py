"""A server left running: connections that come and go leave nothing behind (docs/server.md, Long runs)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from websockets.sync.client import connect

from .helpers import recv_json, ws_url

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts a process's threads and files in /proc")

CONNECTS = 60


def _threads_and_files(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def test_live_connections_that_come_and_go_leave_no_subscriber_thread_or_file(tmp_path) -> None:
    """60 /ws/live connections to `hiprom serve`, half closed cleanly and half dropped without a close (a
    laptop lid shut, a network gone): each subscriber is released, and the server's threads and open files
    come back to those it had before (over 15 rounds of a longer soak: 23-26 open files, 27-36 threads)."""
    proc = subprocess.Popen([sys.executable, "-m", "hiprom.cli.main", "serve", "--source", "demo", "--loop",
                             "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HIPROM_DATA_DIR": str(tmp_path)})
    try:
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", proc.stdout.readline())
        assert match, proc.stderr.read()
        url = match.group(1).rstrip("/")
        with connect(ws_url(url, "/ws/live"), open_timeout=30) as ws:  # the engine's threads all started
            recv_json(ws, timeout=60)
        httpx.get(url + "/api/live", timeout=10)  # its thread in the server's pool started too
        threads, files = _threads_and_files(proc.pid)
        for i in range(CONNECTS):
            ws = connect(ws_url(url, "/ws/live"), open_timeout=10, ping_interval=None)
            recv_json(ws, timeout=30)
            if i % 2:
                ws.socket.shutdown(socket.SHUT_RDWR)
                ws.socket.close()
            else:
                ws.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # a dropped socket is noticed at the server's next send
            live = httpx.get(url + "/api/live", timeout=10).json()
            now = _threads_and_files(proc.pid)
            if live["clients"] == 0 and now[0] <= threads and now[1] <= files:
                break
            time.sleep(0.2)
        assert live["clients"] == 0, live
        assert now[0] <= threads and now[1] <= files, (now, (threads, files))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
