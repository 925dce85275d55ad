"""``hiprom serve`` as a user runs it: a subprocess that prints its address and stops cleanly."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time

import httpx
import pytest

from hiprom.cli.serve_cmd import access_token, address_lines, keep_token, sign_in_line, token_file

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


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("no/such/clip.mp4", "source no/such/clip.mp4: no such file or folder; check the path"),
        ("NOTES", "source notes.txt: not a video (.mp4, .mov, .avi, .mkv, .webm, .m4v, .mts, .m2ts, .3gp, "
                  ".mpg, .mpeg, .wmv), a landmark recording "
                  "(.landmarks.npz), an image folder or a camera number; check the name"),
    ],
    ids=["missing", "unknown-kind"],
)
def test_serve_with_a_bad_source_is_one_clear_line(name, message, tmp_path):
    if name == "NOTES":
        name = str(tmp_path / "notes.txt")
        (tmp_path / "notes.txt").write_text("not a video")
    r = subprocess.run(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--source", name, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"hiprom: error: {message}"]


def test_serve_replays_any_npz_landmark_recording(sample_recording, tmp_path):
    any_npz = tmp_path / "session 12.npz"  # not named .landmarks.npz: still a recording, as for 'hiprom analyze'
    any_npz.write_bytes(sample_recording.read_bytes())
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--source", str(any_npz), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"live page at (http://127\.0\.0\.1:\d+/)$", proc.stdout.readline().strip()).group(1)
        deadline = time.monotonic() + 20
        live = httpx.get(url + "api/live", timeout=10).json()
        while live["processed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
            live = httpx.get(url + "api/live", timeout=10).json()
        assert live["source"]["kind"] == "recording" and live["source"]["label"] == "session 12.npz"
        assert live["processed"] > 0 and live["status"]["level"] != "error", live
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("host", "given", "expect"),
    [("127.0.0.1", None, None), ("localhost", None, None), ("127.0.0.1", "my-token-123", "my-token-123"), ("0.0.0.0", "abcdefgh12", "abcdefgh12")],
)
def test_access_token(host, given, expect):
    assert access_token(host, given) == expect


def test_a_token_is_generated_for_a_non_loopback_host():
    first, second = access_token("0.0.0.0", None), access_token("192.168.1.5", None)
    assert first and second and first != second and len(first) >= 20


def test_a_made_token_is_kept_owner_only_and_never_printed(tmp_path, monkeypatch):
    """Before, ``hiprom serve --host 0.0.0.0 > serve.log`` wrote the token twice into serve.log (0664 under umask 002);
    on a terminal it was printed in the link to open, ``/?token=T``, which the browser's history then kept."""
    monkeypatch.setenv("HIPROM_DATA_DIR", str(tmp_path / "data"))
    token, url = "made-here-0123456789", "http://vm:8000/"
    old = os.umask(0o002)
    try:
        kept = keep_token(token_file(8000), token)
    finally:
        os.umask(old)
    assert kept == tmp_path / "data" / "serve-8000.token" and kept.read_text().strip() == token
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    page, scripts = address_lines(url, token, kept)
    assert page.startswith(f"hiprom: live page at {url} ") and "sign-in link" in page
    assert str(kept) in scripts and "'Authorization: Bearer TOKEN'" in scripts
    assert token not in page + scripts
    assert address_lines(url, token, None) == [page]  # a token given: its owner knows it
    assert address_lines(url, None, None) == [f"hiprom: live page at {url}"]
    line = sign_in_line(url, "/signin/CODE")
    assert "open http://vm:8000/signin/CODE on it (works once, within 5 minutes" in line, line



def test_ctrl_c_with_an_open_mjpeg_preview_stops_at_once_without_a_traceback(tmp_path, grey_video):
    """Issue 12 #9: the never-ending /video.mjpg used to be cancelled after the grace time, with an ASGI traceback."""
    import threading
    import time

    video = grey_video
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--source", video, "--loop", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    streaming = threading.Event()
    ended: list[str] = []

    def watch(url: str) -> None:
        try:
            with httpx.stream("GET", url + "video.mjpg", timeout=30) as r:
                assert r.status_code == 200
                streaming.set()
                for _ in r.iter_bytes():
                    pass
            ended.append("cleanly")
        except httpx.HTTPError as exc:
            ended.append(type(exc).__name__)

    try:
        line = proc.stdout.readline()
        match = re.search(r"live page at (http://127\.0\.0\.1:\d+/)$", line.strip())
        assert match, line
        viewer = threading.Thread(target=watch, args=(match.group(1),), daemon=True)
        viewer.start()
        assert streaming.wait(30), "the preview did not open"
        time.sleep(0.5)
    finally:
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    stop_s = time.monotonic() - t0
    viewer.join(5)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "Exception in ASGI application" not in err, err
    assert "timeout graceful shutdown exceeded" not in err
    assert ended == ["cleanly"]  # the viewer saw the stream end, not a broken connection
    assert stop_s < 10, stop_s


def test_a_made_token_file_is_removed_when_the_server_is_stopped_by_sigterm(tmp_path):
    """docs/server.md: the token file is "removed when the server stops". Stopped by SIGTERM (systemd,
    ``kill``, ``timeout``), uvicorn shut down cleanly but then re-raised the signal, whose default action
    ended the process before the file was removed: ``serve-PORT.token`` stayed behind."""
    env = {**os.environ, "HIPROM_DATA_DIR": str(tmp_path / "data")}
    env.pop("HIPROM_SERVE_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--host", "0.0.0.0", "--port", "0", "--source", "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # printed once the token file is written
        port = re.search(r"live page at http://\S+:(\d+)/ ", lines[0]).group(1)
        kept = tmp_path / "data" / f"serve-{port}.token"
        assert f"scripts send the token kept in {kept} " in lines[1] and kept.is_file()
        assert f":{port}/signin/" in lines[2] and kept.read_text().strip() not in "".join(lines)
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).json()["status"] == "ok"  # serving
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM, err  # still ends by the signal: a clean stop to a service manager
    assert "hiprom: server stopped" in out and "Traceback" not in err
    assert not kept.exists()
