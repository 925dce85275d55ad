"""Fixtures for pose tests: a local model server, a clean model lookup, tracked footage.

``tracked_clips`` is ``hiprom track`` over every file of the shared footage
(``track_footage``, shared with the other tests that read a clip's landmarks).
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest


# -- model lookup ----------------------------------------------------------------------


def make_bundle(seed: int = 0, n_bytes: int = 40_000) -> bytes:
    """A small .task-shaped zip (two .tflite members of seeded random bytes)."""
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as bundle:
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            bundle.writestr(name, rng.integers(0, 256, n_bytes, dtype=np.uint8).tobytes())
    return buf.getvalue()


@dataclass
class ModelEnv:
    model_dir: Path  # $HIPROM_MODEL_DIR
    cache_dir: Path  # $HIPROM_CACHE_DIR/models, where downloads go


@pytest.fixture
def model_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModelEnv:
    """Lookup folders in tmp_path, downloads allowed (they only ever reach 127.0.0.1 here)."""
    model_dir = tmp_path / "model_dir"
    model_dir.mkdir()
    monkeypatch.setenv("HIPROM_MODEL_DIR", str(model_dir))
    monkeypatch.setenv("HIPROM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HIPROM_OFFLINE", raising=False)
    return ModelEnv(model_dir=model_dir, cache_dir=tmp_path / "cache" / "models")


class _Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (status, body, declared_length)``."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        status, body, declared = self.server.routes.get(self.path, (404, b"not found", None))  # type: ignore[attr-defined]
        self.send_response(status)
        if declared != "none":
            self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class LocalServer:
    base: str
    routes: dict[str, tuple[int, bytes, object]]
    hits: list[str]


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A real HTTP server on 127.0.0.1 (random port) in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.routes = {}  # type: ignore[attr-defined]
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_port}", server.routes, server.hits)  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- frames and footage ------------------------------------------------------------------


def rendered_frames(footage_dir: Path, clip: str, n: int, roll_deg: float = 0.0) -> list[np.ndarray]:
    """The first ``n`` frames of the rendered clip ``clip`` (RGB), the camera rolled by ``roll_deg``
    (image rotated about its centre, edges replicated); skips the test when the clip is absent."""
    path = footage_dir / "rendered" / f"{clip}.mp4"
    if not path.is_file():
        pytest.skip(f"rendered clip not found at {path}")
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < n:
        ok, bgr = cap.read()
        assert ok
        if roll_deg:
            h, w = bgr.shape[:2]
            roll = cv2.getRotationMatrix2D((w / 2, h / 2), roll_deg, 1.0)
            bgr = cv2.warpAffine(bgr, roll, (w, h), borderMode=cv2.BORDER_REPLICATE)
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


@pytest.fixture(scope="session")
def gt01_frames(footage_dir: Path) -> list[np.ndarray]:
    """The first 8 frames of the rendered clip gt01 (a seated man, 640x480), RGB."""
    return rendered_frames(footage_dir, "gt01", 8)


@pytest.fixture(scope="session")
def gt01_folder(gt01_frames: list[np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gt01's first 8 frames as PNG files in a folder."""
    folder = tmp_path_factory.mktemp("gt01_frames")
    for i, rgb in enumerate(gt01_frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(scope="session")
def tracked_clips(footage_dir: Path, track_footage) -> dict:
    """``track_footage`` of every file of the shared footage and the rendered gt01 and gt06, by file name.

    (The 30 fps rendered clips, a third of the frames, are tracked by the tests that read them.)
    """
    files = sorted(p.name for p in footage_dir.iterdir() if p.is_file() and p.suffix != ".json")
    files += ["rendered/gt01.mp4", "rendered/gt06.mp4"]
    return {relative.rsplit("/", 1)[-1]: track_footage(relative) for relative in files}
