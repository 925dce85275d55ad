"""Fixtures of the server tests: a real uvicorn server on a free 127.0.0.1 port.

``live_server(**settings)`` starts ``create_app(ServerSettings(...))`` under
uvicorn in a thread (``hiprom.server.runner.serve_in_thread``) and yields its
base URL; WebSockets are real (the ``websockets`` client).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from hiprom.synthetic import Trial, protocol, seated_recording

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "demo_seated_test.landmarks.npz"


@pytest.fixture()
def live_server(tmp_path):
    """A context-manager factory: ``with live_server(source=...) as url: ...`` (records in a temporary store)."""

    def start(send_buffer_bytes: int | None = None, **overrides):
        base = {"source": "demo", "camera_retry_s": 0.5, "db": str(tmp_path / "records.db")}
        base.update(overrides)
        return serve_in_thread(ServerSettings(**base), send_buffer_bytes=send_buffer_bytes)

    return start


@pytest.fixture(scope="session")
def sample_recording(tmp_path_factory) -> Path:
    """The demo recording of ``samples/`` (or a synthetic one when it is not there yet)."""
    if SAMPLE.is_file():
        return SAMPLE
    t, rot = protocol([Trial("right", "internal", 38.0), Trial("left", "external", 27.0)])
    path = tmp_path_factory.mktemp("rec") / "synthetic.landmarks.npz"
    return seated_recording(rot, image_noise_px=0.5).save(path)


@pytest.fixture(scope="session")
def short_recording(tmp_path_factory) -> Path:
    """A 1.5 s recording (45 frames at 30 fps) that ends quickly."""
    rot = np.zeros((45, 2))
    rot[:, 1] = np.linspace(0.0, 20.0, 45)
    path = tmp_path_factory.mktemp("rec") / "short.landmarks.npz"
    return seated_recording(rot, fps=30.0).save(path)
