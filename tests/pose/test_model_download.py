"""Downloads against a real HTTP server on 127.0.0.1: success and each way it can fail."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hiprom.errors import ModelError
from hiprom.pose import resolve_model
from hiprom.pose.download import download_model
from hiprom.pose.models import Manifest, ModelVariant

from .conftest import make_bundle

PAYLOAD = make_bundle(seed=11, n_bytes=300_000)


def _variant(base: str, route: str = "/pose_landmarker_full.task", payload: bytes = PAYLOAD) -> ModelVariant:
    return ModelVariant(
        name="full",
        file="pose_landmarker_full.task",
        url=base + route,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
    )


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_writes_the_verified_file_and_nothing_else(local_server, tmp_path):
    local_server.routes["/pose_landmarker_full.task"] = (200, PAYLOAD, None)
    path = download_model(_variant(local_server.base), tmp_path / "models", show_progress=False)
    assert path == tmp_path / "models" / "pose_landmarker_full.task"
    assert path.read_bytes() == PAYLOAD
    assert _files(tmp_path / "models") == ["pose_landmarker_full.task"]


def _corrupt(payload: bytes) -> bytes:
    changed = bytearray(payload)
    changed[len(changed) // 2] ^= 0xFF
    return bytes(changed)


@pytest.mark.parametrize(
    ("route", "says"),
    [
        ((404, b"no such object", None), "HTTP 404"),
        ((200, PAYLOAD[: len(PAYLOAD) // 3], len(PAYLOAD)), "connection broke after"),  # truncated body
        ((200, PAYLOAD[: len(PAYLOAD) // 3], "none"), f"stopped after {len(PAYLOAD) // 3:,} of {len(PAYLOAD):,} bytes"),  # short, no length header
        ((200, _corrupt(PAYLOAD), None), "SHA-256"),  # right size, wrong content
        ((200, PAYLOAD + b"extra", None), f"offers {len(PAYLOAD) + 5:,} bytes"),  # declared size differs from the manifest
    ],
    ids=["404", "truncated", "short-no-length", "wrong-content", "wrong-size"],
)
def test_failed_download_leaves_no_file_and_says_why(local_server, tmp_path, route, says):
    local_server.routes["/pose_landmarker_full.task"] = route
    folder = tmp_path / "models"
    with pytest.raises(ModelError) as err:
        download_model(_variant(local_server.base), folder, show_progress=False)
    message = str(err.value)
    assert says in message
    assert message.startswith(f"download of pose_landmarker_full.task from {local_server.base}")
    assert _files(folder) == []  # no .part, no half file


def test_unreachable_server_is_a_model_error(tmp_path):
    # Port 9 (discard) on 127.0.0.1 refuses connections on any test machine.
    with pytest.raises(ModelError, match="failed"):
        download_model(_variant("http://127.0.0.1:9"), tmp_path, show_progress=False, timeout_s=5)
    assert _files(tmp_path) == []


def test_first_use_downloads_once_then_finds_the_file(local_server, model_env):
    local_server.routes["/pose_landmarker_full.task"] = (200, PAYLOAD, None)
    manifest = Manifest(variants={"full": _variant(local_server.base)}, default="full")
    first = resolve_model(None, manifest=manifest, show_progress=False)
    again = resolve_model("full", manifest=manifest, show_progress=False)
    assert first == again == model_env.cache_dir / "pose_landmarker_full.task"
    assert local_server.hits == ["/pose_landmarker_full.task"]  # fetched once


def test_failed_first_use_download_gives_the_full_message(local_server, model_env):
    manifest = Manifest(variants={"full": _variant(local_server.base, "/gone.task")}, default="full")
    with pytest.raises(ModelError) as err:
        resolve_model(None, manifest=manifest, show_progress=False)
    message = str(err.value)
    assert message.startswith("pose model pose_landmarker_full.task not found; tried $HIPROM_MODEL_DIR")
    assert "HTTP 404" in message and "--model PATH" in message and "\n" not in message
    assert _files(model_env.cache_dir) == []


def test_offline_never_touches_the_network(local_server, model_env, monkeypatch):
    local_server.routes["/pose_landmarker_full.task"] = (200, PAYLOAD, None)
    monkeypatch.setenv("HIPROM_OFFLINE", "1")
    manifest = Manifest(variants={"full": _variant(local_server.base)}, default="full")
    with pytest.raises(ModelError, match="HIPROM_OFFLINE=1 is set"):
        resolve_model("full", manifest=manifest)
    assert local_server.hits == []
