"""``hiprom serve`` as a user runs it: a subprocess that prints its address and stops cleanly."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hiprom.cli.serve_cmd import access_token, address_lines, keep_secret, sign_in_line, token_file

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
        kept = keep_secret(token_file(8000), token)
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


def _wait_for(condition, what: str, timeout_s: float = 60.0):
    """Poll ``condition`` until it returns something true (returned), or fail after ``timeout_s`` naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _open_link(link: str, port: str) -> httpx.Response:
    """Open a sign-in link as a browser of another device would (the machine's name reached over loopback)."""
    path = link[link.index("/signin/"):]
    return httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Sec-Fetch-Mode": "navigate"}, timeout=30)


def test_a_service_log_holds_no_working_sign_in_link_the_owner_only_file_does(tmp_path):
    """``hiprom serve --host 0.0.0.0 > serve.log`` (systemd, nohup, docker logs) wrote each working sign-in link
    into the log: anyone reading it within 5 minutes signed in first. Now the log says where the current link is
    kept (0600, renewed when used) and which command prints a new one; both files go when SIGTERM stops it."""
    data = tmp_path / "data"
    env = {**os.environ, "HIPROM_DATA_DIR": str(data)}
    env.pop("HIPROM_SERVE_TOKEN", None)
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:  # a file, as a service's output: not a terminal
        proc = subprocess.Popen(
            [sys.executable, "-m", "hiprom.cli.main", "serve", "--host", "0.0.0.0", "--port", "0", "--source", "demo",
             "--log-level", "debug"],  # debug: uvicorn's access log is on
            stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
        )
    try:
        started = _wait_for(lambda: "press Ctrl+C" in log_path.read_text() and log_path.read_text(), "the server")
        port = re.search(r"live page at http://\S+:(\d+)/ ", started).group(1)
        kept, link_file = data / f"serve-{port}.token", data / f"serve-{port}.signin"
        assert f"the link kept in {link_file} (readable by you only" in started, started
        assert f"'hiprom signin-link --port {port}'" in started
        assert stat.S_IMODE(link_file.stat().st_mode) == 0o600
        first = link_file.read_text().strip()
        assert re.fullmatch(rf"http://\S+:{port}/signin/[\w-]{{22}}", first), first
        signed_in = _open_link(first, port)
        assert signed_in.status_code == 200 and f"hiprom_device_{port}=" in signed_in.headers["set-cookie"]
        spent = _open_link(first, port)
        assert spent.status_code == 403 and spent.headers["cache-control"] == "no-store"  # not kept by the browser
        second = _wait_for(lambda: link_file.read_text().strip() not in ("", first) and link_file.read_text().strip(),
                           "the next link in the file")
        assert stat.S_IMODE(link_file.stat().st_mode) == 0o600
        asked = subprocess.run([sys.executable, "-m", "hiprom.cli.main", "signin-link", "--port", port],
                               capture_output=True, text=True, env=env, timeout=60)
        assert asked.returncode == 0, asked.stderr
        third = asked.stdout.strip()
        assert re.fullmatch(rf"http://\S+:{port}/signin/[\w-]{{22}}", third) and third != second
        assert _open_link(third, port).status_code == 200 and _open_link(second, port).status_code == 200
        _wait_for(lambda: "/signin/[redacted]" in log_path.read_text(), "the access log's sign-in lines")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    log = log_path.read_text()
    assert proc.returncode == -signal.SIGTERM, log  # still ends by the signal: a clean stop to a service manager
    assert "hiprom: server stopped" in log and "Traceback" not in log
    assert re.findall(r"/signin/(?!\[redacted\])\S+", log) == [], log  # no code, used or not
    assert not kept.exists() and not link_file.exists()


def test_a_tablet_signed_in_to_hiprom_serve_stays_signed_in_when_it_restarts(tmp_path):
    """The clinic's laptop restarts 'hiprom serve' (a new token each start): its tablets stay signed in, from the
    owner-only file of signed-in devices it keeps beside the token file, which survives the stop."""
    data = tmp_path / "data"
    env = {**os.environ, "HIPROM_DATA_DIR": str(data)}
    env.pop("HIPROM_SERVE_TOKEN", None)
    with socket.socket() as probe:  # a fixed port: a device's cookie is the server's port's
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    log_path = tmp_path / "serve.log"
    cookie = ""
    for start in (1, 2):
        with open(log_path, "w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hiprom.cli.main", "serve", "--host", "0.0.0.0", "--port", port,
                 "--source", "demo"], stdout=log, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            _wait_for(lambda: "press Ctrl+C" in log_path.read_text(), f"the server, start {start}")
            if start == 1:
                signed_in = _open_link((data / f"serve-{port}.signin").read_text().strip(), port)
                cookie = f"hiprom_device_{port}=" + signed_in.cookies[f"hiprom_device_{port}"]
            answer = httpx.get(f"http://127.0.0.1:{port}/api/info", headers={"Cookie": cookie}, timeout=30)
            assert answer.status_code == 200, (start, answer.text)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        kept = data / f"serve-{port}.devices"
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and cookie.split("=", 1)[1] not in kept.read_text()


def test_on_a_terminal_the_sign_in_link_is_shown_as_before(tmp_path):
    """The person at the machine watching ``hiprom serve`` in a terminal reads the link there; no file is kept."""
    env = {**os.environ, "HIPROM_DATA_DIR": str(tmp_path / "data")}
    env.pop("HIPROM_SERVE_TOKEN", None)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hiprom.cli.main", "serve", "--host", "0.0.0.0", "--port", "0", "--source", "demo"],
        stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env,
    )
    os.close(follower)
    shown = ""

    def read_some() -> str:  # what the terminal got within a second ("" if nothing; never blocks for good)
        with contextlib.suppress(OSError):  # EIO once the server has closed its end
            if select.select([leader], [], [], 1.0)[0]:
                return os.read(leader, 4096).decode(errors="replace")
        return ""

    try:
        deadline = time.monotonic() + 60
        while "press Ctrl+C" not in shown and time.monotonic() < deadline:
            shown += read_some()
        port = re.search(r"live page at http://\S+:(\d+)/ ", shown).group(1)
        link = re.search(rf"open (http://\S+:{port}/signin/\S+) on it \(works once", shown).group(1)
        assert not (tmp_path / "data" / f"serve-{port}.signin").exists()
        assert _open_link(link, port).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            read_some()  # a full terminal would hold the server's last lines, and its stop
        proc.wait(timeout=5)
        os.close(leader)
    assert proc.returncode == 0


def test_signin_link_without_a_server_is_one_clear_line(tmp_path):
    """``hiprom signin-link`` with no token file, or with nothing listening on the port: one line, exit 2."""
    import socket

    env = {**os.environ, "HIPROM_DATA_DIR": str(tmp_path / "data")}
    env.pop("HIPROM_SERVE_TOKEN", None)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    cmd = [sys.executable, "-m", "hiprom.cli.main", "signin-link", "--port", str(port)]
    none = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert none.returncode == 2 and none.stderr.strip().splitlines() == [
        f"hiprom: error: no token of a server on port {port} in {tmp_path / 'data' / f'serve-{port}.token'}: start "
        "'hiprom serve --host ...' there, give --port its port, or set HIPROM_SERVE_TOKEN to the token you gave it"]
    gone = subprocess.run(cmd, capture_output=True, text=True, env={**env, "HIPROM_SERVE_TOKEN": "t" * 24}, timeout=60)
    assert gone.returncode == 2 and gone.stderr.strip().splitlines() == [
        f"hiprom: error: nothing answers on 127.0.0.1:{port}: is 'hiprom serve' running there? Give its --port"]


def _info_home(db: Path, *options: str) -> bool:
    """``hiprom serve --db db OPTIONS``'s ``GET /api/info`` ``home``: whether its page is a patient's own."""
    proc = subprocess.Popen([sys.executable, "-m", "hiprom.cli.main", "serve", "--source", "demo", "--port", "0",
                             "--db", str(db), *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"live page at (http://127\.0\.0\.1:\d+/)$", proc.stdout.readline().strip()).group(1)
        return httpx.get(url + "api/info", timeout=30).json()["home"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)


def test_a_clinic_says_so_and_its_page_hands_over_from_its_first_patient(tmp_path, sample_recording):
    # A clinic's new store holding its first patient's visit cannot be told from a patient's own at home, so its
    # page offered the patient's Exercises and Take in the file, and neither Hand over nor Add the patient's file
    # from home, until a program was kept or a second patient came. 'hiprom serve --clinic' says which it is.
    db = tmp_path / "clinic.db"
    for args in (["store", "init", str(db)],
                 ["analyze", str(sample_recording), "--save", "--subject", "P-0042", "-q", "--db", str(db)]):
        subprocess.run([sys.executable, "-m", "hiprom.cli.main", *args], check=True, capture_output=True, timeout=120)
    assert _info_home(db) is True  # as before: it may be P-0042's own
    assert _info_home(db, "--clinic") is False
