"""``hiprom serve`` as a user runs it: a subprocess that prints its address and stops cleanly."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

from hiprom.cli.serve_cmd import access_token

pytestmark = pytest.mark.slow


def test_serve_prints_its_loopback_address_serves_and_stops_on_ctrl_c():
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--source", "demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"live page at (http://127\.0\.0\.1:\d+/)$", line.strip())
        assert match, line
        url = match.group(1)
        assert httpx.get(url + "health", timeout=10).json()["status"] == "ok"
        assert "hiprom live" in httpx.get(url + "openapi.json", timeout=10).text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_serve_with_a_missing_file_is_one_clear_line():
    r = subprocess.run(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--source", "no/such/clip.mp4", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["hiprom: error: source no/such/clip.mp4: no such file or folder; check the path"]


@pytest.mark.parametrize(
    ("host", "given", "expect"),
    [("127.0.0.1", None, None), ("localhost", None, None), ("127.0.0.1", "my-token-123", "my-token-123"), ("0.0.0.0", "abcdefgh12", "abcdefgh12")],
)
def test_access_token(host, given, expect):
    assert access_token(host, given) == expect


def test_a_token_is_generated_for_a_non_loopback_host():
    first, second = access_token("0.0.0.0", None), access_token("192.168.1.5", None)
    assert first and second and first != second and len(first) >= 20
