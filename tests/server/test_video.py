"""Real footage through the real model: a video source, the MJPEG preview, the browser-camera socket."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import cv2
import httpx
import numpy as np
import pytest
from websockets.sync.client import connect

from .helpers import assert_frame_message, recv_json, recv_until, ws_url

pytestmark = [pytest.mark.footage, pytest.mark.model, pytest.mark.slow]


@pytest.fixture()
def model_env(model_path, monkeypatch):
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_path.parent))
    return model_path


@pytest.fixture(scope="module")
def gt01(footage_dir):
    return footage_dir / "rendered" / "gt01.mp4"


def test_video_source_streams_measured_frames_and_a_preview(live_server, model_env, gt01):
    with live_server(source=str(gt01), loop=True) as url:
        t0 = time.monotonic()
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            first, _ = recv_until(ws, lambda m: m["type"] == "frame", timeout=15)
            assert time.monotonic() - t0 < 15
            wall0 = time.monotonic()
            frames = [first]
            while frames[-1]["t_ms"] - first["t_ms"] < 4000:  # 4 s of the clip: the first trial (right IR) is in it
                msg = recv_json(ws, timeout=5)
                if msg["type"] == "frame":
                    frames.append(msg)
            wall_s = time.monotonic() - wall0
        for msg in frames:
            assert_frame_message(msg)
        assert frames[0]["source"]["kind"] == "video" and frames[0]["source"]["preview"] is True
        assert frames[0]["size_wh"] == [640, 480]
        # Played at its own rate (10 fps), as if live: 4 s of clip take about 4 s (less by however
        # late the first frame came, under load up to a second), where as fast as the model goes
        # would take under 1 s; frames the model could not keep up with are dropped, not queued.
        assert 2.0 < wall_s < 5.5, wall_s
        assert len(frames) >= 15
        right = [m["sides"]["right"]["angle_deg"] for m in frames if m["sides"]["right"]["angle_deg"] is not None]
        assert len(right) >= 0.8 * len(frames)
        assert all(m["timing"]["latency_ms"] < 2000 for m in frames)
        # The right hip's internal rotation (1.5-3 s into the clip) shows up: in these frames, or, when
        # loading the model on a busy machine took the feed past it, within one more pass of the clip.
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            rotated = max(right) > 20.0
            deadline = time.monotonic() + 20
            while not rotated and time.monotonic() < deadline:
                msg = recv_json(ws, timeout=5)
                rotated = msg["type"] == "frame" and (msg["sides"]["right"]["angle_deg"] or 0.0) > 20.0
        assert rotated

        with httpx.stream("GET", url + "/video.mjpg", timeout=10) as r:
            assert r.headers["content-type"].startswith("multipart/x-mixed-replace")
            buf = b""
            for chunk in r.iter_bytes():
                buf += chunk
                if buf.count(b"\xff\xd9") >= 2:
                    break
        start = buf.index(b"\xff\xd8")
        jpeg = buf[start : buf.index(b"\xff\xd9", start) + 2]
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (480, 640, 3)
        # A page showing it in a 300x300 box gets it at that width (a quarter of the pixels), its ratio kept.
        with httpx.stream("GET", url + "/video.mjpg?w=300&h=300", timeout=10) as r:
            buf = b""
            for chunk in r.iter_bytes():
                buf += chunk
                if buf.count(b"\xff\xd9") >= 1:
                    break
        start = buf.index(b"\xff\xd8")
        small = cv2.imdecode(np.frombuffer(buf[start : buf.index(b"\xff\xd9", start) + 2], np.uint8), cv2.IMREAD_COLOR)
        assert small.shape == (225, 300, 3)


def test_browser_camera_socket_answers_jpeg_frames_with_the_same_messages(live_server, model_env, gt01):
    cap = cv2.VideoCapture(str(gt01))
    jpegs = []
    while len(jpegs) < 30:
        ok, bgr = cap.read()
        if not ok:
            break
        jpegs.append(cv2.imencode(".jpg", bgr)[1].tobytes())
    cap.release()
    with live_server(start_source=False) as url:
        with connect(ws_url(url, "/ws/camera"), open_timeout=5, max_size=None) as ws:
            recv_until(ws, lambda m: m["status"]["code"] == "ok", timeout=20)  # the model is loaded
            ws.send(json.dumps({"type": "command", "action": "start"}))
            recv_until(ws, lambda m: (m.get("state") or {}).get("phase") == "setup", timeout=5)
            frames = []
            for jpeg in jpegs:  # one picture at a time, as the page does when the server is busy
                ws.send(jpeg)
                msg, _ = recv_until(ws, lambda m: m["type"] == "frame", timeout=10)
                frames.append(msg)
            # A command's answer keeps the page's status line as the last frame left it (a screen reader reads
            # each change): it said "Browser camera connected." at every key, then the next frame its own again.
            ws.send(json.dumps({"type": "command", "action": "cancel"}))
            answer, _ = recv_until(ws, lambda m: (m.get("state") or {}).get("phase") == "idle", timeout=5)
            assert answer["status"]["text"] == frames[-1]["status"]["text"], answer["status"]
            ws.send(b"not a picture")
            bad, _ = recv_until(ws, lambda m: m["status"]["code"] == "bad_frame", timeout=5)
            # A counted exercise over the same socket, as /api/exercise is on the server's source.
            ws.send(json.dumps({"type": "exercise", "action": "start", "exercise": "knee_to_knee", "side": "left"}))
            refused, _ = recv_until(ws, lambda m: m["status"]["code"] == "exercise_refused", timeout=5)
            ws.send(json.dumps({"type": "exercise", "action": "start", "exercise": "chair_rotation_internal",
                                "side": "right"}))
            started, _ = recv_until(ws, lambda m: (m.get("exercise") or {}).get("active") is True, timeout=5)
            ws.send(jpegs[0])
            counting, _ = recv_until(ws, lambda m: m["type"] == "frame", timeout=10)
            ws.send(json.dumps({"type": "exercise", "action": "stop"}))
            stopped, _ = recv_until(ws, lambda m: (m.get("exercise") or {}).get("result") is not None, timeout=5)
        for msg in frames:
            assert_frame_message(msg)
            assert msg["source"]["kind"] == "browser"
        assert sum(m["quality"]["person"] for m in frames) >= 25
        assert any(m["sides"]["right"]["angle_deg"] is not None for m in frames)
        assert frames[-1]["state"]["phase"] in ("setup", "calibrate", "trial")
        assert refused["status"]["text"].startswith("The camera cannot count it: ") and "timer" in refused["status"]["text"]
        assert refused["exercise"] is None and started["state"]["phase"] == "idle"  # the guided test closed
        assert started["exercise"]["side"] == "right" and started["exercise"]["direction"] == "internal"
        assert counting["exercise"]["exercise"] == "chair_rotation_internal" and counting["exercise"]["active"]
        assert stopped["exercise"]["result"]["exercise"] == "chair_rotation_internal"
        assert stopped["exercise"]["active"] is False
        assert httpx.get(url + "/api/info").json()["server_source"] is False


def test_a_missing_model_is_a_clear_status_not_a_crash(live_server, gt01, tmp_path, monkeypatch):
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(tmp_path))
    missing = tmp_path / "nothing_here.task"
    with live_server(source=str(gt01), model=str(missing)) as url:
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            msg, _ = recv_until(ws, lambda m: m["status"]["code"] == "model_missing", timeout=15)
            # One line for the page; what was tried and how to fix it in the detail.
            assert "pose model" in msg["status"]["text"] and msg["status"]["level"] == "error"
            assert "\n" not in msg["status"]["text"] and len(msg["status"]["text"]) < 100
            assert msg["status"]["blocking"] is True and "nothing_here.task" in msg["status"]["detail"]
            ws.send(json.dumps({"type": "command", "action": "start"}))  # the guide cannot finish: it does not start
            time.sleep(1.0)
        assert httpx.get(url + "/api/guide").json()["phase"] == "idle"
        assert httpx.get(url + "/health").status_code == 200


def test_a_worker_behind_a_30_fps_video_gives_the_tracker_the_videos_own_gaps(live_server, model_env, footage_dir, monkeypatch):
    # gt11 (a 30 fps rendered clip) played 4x faster than real time: the worker sees only some
    # frames. The tracker is told the video's own 33 ms between frames, so it runs the 30 fps method
    # (no extra reads of a slow source that would keep the worker further behind).
    from hiprom.pose import PoseTracker

    calls: list[tuple[float, float | None]] = []
    real_process = PoseTracker.process

    def process(self, image_rgb, t_ms, source_gap_ms=None):
        calls.append((t_ms, source_gap_ms))
        return real_process(self, image_rgb, t_ms, source_gap_ms)

    monkeypatch.setattr(PoseTracker, "process", process)
    with live_server(source=str(footage_dir / "rendered" / "gt11.mp4"), replay_speed=4.0) as url:
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            # Ten drops can come before the worker's fourth frame (its first inferences are slow on some
            # machines): wait for frames it did measure too.
            recv_until(ws, lambda m: m["type"] == "frame" and m["quality"]["dropped"] >= 10 and len(calls) >= 12,
                       timeout=30)
    calls.sort()  # (two pose threads on two cores)
    seen = np.diff([t for t, _ in calls])
    assert (seen > 50.0).sum() >= 5  # frames the worker skipped
    assert all(abs(gap - 1000.0 / 30) < 1.0 for _, gap in calls[1:])


def test_the_page_says_the_pose_model_is_loading_while_it_loads(live_server, gt01, monkeypatch):
    """A first-use download (9.4 MB, or 30 s of a silent network) showed 'Opening gt01.mp4...' all along."""
    from hiprom.live.posepool import PosePool

    loaded = threading.Event()
    monkeypatch.setattr(PosePool, "start", lambda self: loaded.wait(10))  # a model that takes its time
    with live_server(source=str(gt01)) as url:
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            msg, _ = recv_until(ws, lambda m: m["status"]["code"] != "starting", timeout=10)
            assert msg["status"]["code"] == "loading" and msg["status"]["blocking"] is False
            assert msg["status"]["text"].startswith("Loading the pose model")
            assert httpx.get(url + "/api/live").json()["status"]["code"] == "loading"
            loaded.set()
            recv_until(ws, lambda m: m["status"]["code"] == "source_open", timeout=10)


# -- the pose stage on two cores: two pose threads, frames on in capture order ------------------------


def test_two_pose_threads_hand_every_message_on_in_capture_order(live_server, model_env, footage_dir):
    # gt11: a 30 fps rendered clip, faster than one inference a frame here. On two cores two pose
    # threads take turns; the messages still come in the order the frames were captured, once each.
    from hiprom.cores import available_cores

    with live_server(source=str(footage_dir / "rendered" / "gt11.mp4")) as url:
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            first, _ = recv_until(ws, lambda m: m["type"] == "frame", timeout=20)
            _, seen = recv_until(ws, lambda m: m["type"] == "frame" and m["t_ms"] - first["t_ms"] > 2000, timeout=15)
            pose_threads = {t.name for t in threading.enumerate() if t.name.startswith("hiprom-pose")}
    frames = [first] + [m for m in seen if m["type"] == "frame"]
    t_ms, seq = [m["t_ms"] for m in frames], [m["seq"] for m in frames]
    assert all(b > a for a, b in zip(t_ms, t_ms[1:])) and seq == list(range(seq[0], seq[0] + len(seq)))
    assert sum(m["quality"]["person"] for m in frames) >= 0.9 * len(frames)
    assert pose_threads == ({"hiprom-pose-0", "hiprom-pose-1"} if available_cores() >= 2 else set())


class SlowTracker:
    """Stands in for ``PoseTracker``: 0.15 s a frame, nobody found; records the pass it was in for each frame."""

    posed: dict[float, tuple[int, str]] = {}  # t_ms -> (pass, thread name)

    def __init__(self) -> None:
        self.passes, self.model_name, self.model_sha256 = 0, "slow", None

    def restart(self, scene=None) -> None:
        self.passes += 1

    def process(self, image_rgb, t_ms, source_gap_ms=None):
        from hiprom.pose import PoseResult

        time.sleep(0.15)
        SlowTracker.posed[t_ms] = (self.passes, threading.current_thread().name)
        nan = np.full((33, 4), np.nan)
        return PoseResult(nan, nan.copy(), 0)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("cores", [1, 2])
def test_frames_posed_before_the_guided_test_restarts_the_video_never_reach_it(live_server, gt01, monkeypatch, cores):
    # Starting the guided test plays the file from the start. Frames of the old pass still being
    # posed (two pose threads, 0.15 s a frame each, are always busy on a 10 fps clip) are dropped: the
    # restarted guide sees only frames of the new pass. One core: posed in the loop's own thread.
    from hiprom.live import posepool
    from hiprom.live.engine import LiveConfig
    from hiprom.live.processor import LiveProcessor

    SlowTracker.posed = {}
    processed: list[tuple[float, str]] = []
    real_process = LiveProcessor.process

    def process(self, t_ms, *args, **kwargs):
        processed.append((t_ms, self.guide.phase))
        return real_process(self, t_ms, *args, **kwargs)

    monkeypatch.setattr(LiveProcessor, "process", process)
    monkeypatch.setattr(LiveConfig, "tracker_factory", lambda self: SlowTracker)
    monkeypatch.setattr(posepool, "available_cores", lambda: cores)
    monkeypatch.setattr(posepool, "SECOND_CORE_MIN", 0.0)  # both threads busy all along, however busy the machine
    with live_server(source=str(gt01)) as url:
        with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
            recv_until(ws, lambda m: m["type"] == "frame" and m["seq"] >= 6, timeout=15)
            ws.send(json.dumps({"type": "command", "action": "start"}))
            recv_until(ws, lambda m: m["type"] == "frame" and len([1 for _, ph in processed if ph != "idle"]) >= 6,
                       timeout=15)
    t_ms = [t for t, _ in processed]
    assert all(b > a for a, b in zip(t_ms, t_ms[1:]))
    guided = [SlowTracker.posed[t][0] for t, phase in processed if phase != "idle"]
    assert len(guided) >= 6 and set(guided) == {2}, "frames of the first pass reached the restarted guide"
    threads = {name for _, name in SlowTracker.posed.values()}
    assert threads == ({"hiprom-pose-0", "hiprom-pose-1"} if cores == 2 else {"hiprom-live"})


def test_a_picture_client_that_stops_reading_loses_old_pictures_and_holds_up_nobody(live_server, model_env, gt01):
    """A page in a background tab, or a slow phone, stops taking the preview: the server keeps at most its
    2 newest pictures for it (older ones dropped, never buffered without bound); the live loop and the
    other clients go on."""
    # Small kernel buffers on both ends: the stalled connection is full after a few pictures.
    with live_server(source=str(gt01), loop=True, send_buffer_bytes=8192) as url:
        stalled = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        stalled.connect((urlsplit(url).hostname, urlsplit(url).port))
        stalled.sendall(f"GET /video.mjpg HTTP/1.1\r\nHost: {urlsplit(url).netloc}\r\n\r\n".encode())
        try:
            deadline = time.monotonic() + 90  # the model loads first
            while True:
                info = httpx.get(url + "/api/live", timeout=10).json()
                if info["preview_clients"] == 1 and info["preview_drops"][0] > 0:
                    break
                assert time.monotonic() < deadline, info
                time.sleep(0.2)
            with connect(ws_url(url, "/ws/live"), open_timeout=5) as ws:
                first, _ = recv_until(ws, lambda m: m["type"] == "frame", timeout=15)
                recv_until(ws, lambda m: m["type"] == "frame" and m["seq"] >= first["seq"] + 10, timeout=30)
            with httpx.stream("GET", url + "/video.mjpg", timeout=30) as r:
                buf = b""
                for chunk in r.iter_bytes():
                    buf += chunk
                    if buf.count(b"\xff\xd9") >= 3:  # three new pictures (asked before leaving the loop ends the stream)
                        later = httpx.get(url + "/api/live", timeout=10).json()
                        break
            assert later["preview_clients"] == 2  # the stalled client is still connected...
            assert max(later["preview_drops"]) > info["preview_drops"][0]  # ...and still loses its old pictures
        finally:
            stalled.close()
