"""Fixtures for capture tests: clips of the shared footage and an image folder built from one."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


def decode_bgr(path: Path, limit: int | None = None) -> list[np.ndarray]:
    """Frames of a video decoded straight with OpenCV (BGR), the reference for the sources."""
    cap = cv2.VideoCapture(str(path))
    frames = []
    while limit is None or len(frames) < limit:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(bgr)
    cap.release()
    return frames


@pytest.fixture(scope="session")
def gt01(footage_dir: Path) -> Path:
    path = footage_dir / "rendered" / "gt01.mp4"
    if not path.is_file():
        pytest.skip(f"rendered clip not found at {path}")
    return path


@pytest.fixture(scope="session")
def image_folder(gt01: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[np.ndarray]]:
    """Twelve PNG frames of gt01 named frame_1 ... frame_12, and the RGB images they hold."""
    folder = tmp_path_factory.mktemp("frames")
    rgb = []
    for i, bgr in enumerate(decode_bgr(gt01, limit=12), start=1):
        assert cv2.imwrite(str(folder / f"frame_{i}.png"), bgr)
        rgb.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    (folder / "notes.txt").write_text("not an image; must be ignored\n")
    (folder / ".hidden.png").write_bytes(b"not even a png")
    return folder, rgb
