"""Frames of a folder of still images, in file-name order."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import cv2
import numpy as np

from hiprom.capture.base import Frame, FrameSource
from hiprom.errors import SourceError

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".jp2", ".ppm", ".pgm"}
)
DEFAULT_FPS = 30.0


def natural_key(path: Path) -> list[object]:
    """Sort key that puts ``frame2.png`` before ``frame10.png``."""
    return [int(part) if i % 2 else part.lower() for i, part in enumerate(re.split(r"([0-9]+)", path.name))]


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside ``folder`` (hidden files skipped), in natural name order."""
    files = [
        p for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=natural_key)


def _imread_rgb(path: Path) -> np.ndarray | None:
    """Read an image file as (h, w, 3) uint8 RGB, or ``None`` if it cannot be decoded."""
    try:
        data = np.fromfile(path, dtype=np.uint8)  # works for any file name, unlike cv2.imread on Windows
    except OSError:
        return None
    if data.size == 0:
        return None
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if bgr is None or bgr.ndim != 3:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


class ImageFolderSource(FrameSource):
    """Frames from the image files of one folder, sorted by name (``img2`` before ``img10``).

    Frame ``i`` is at ``t_ms = i * 1000 / fps``. Every image must have the
    size of the first one.

    Args:
        folder: the folder holding the images (.jpg, .png, .bmp, .tif, .webp ...).
        fps: the frame rate the pictures were taken at.

    Raises:
        SourceError: the folder is missing or holds no images, or an image
            cannot be decoded or has another size than the first.
    """

    is_live = False

    def __init__(self, folder: str | os.PathLike[str], fps: float = DEFAULT_FPS) -> None:
        self.folder = Path(folder)
        self.notes: list[str] = []
        if not (math.isfinite(fps) and 0.0 < fps <= 1000.0):
            raise SourceError(f"fps of an image folder must be between 0 and 1000, but got {fps}")
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder}: no such folder; check the path")
        try:
            self.files = list_images(self.folder)
        except OSError as exc:
            raise SourceError(f"{self.folder}: cannot be listed ({exc.strerror or exc})") from None
        if not self.files:
            kinds = ", ".join(sorted(IMAGE_SUFFIXES))
            raise SourceError(f"{self.folder}: holds no image files ({kinds}); check the folder")
        self.fps = float(fps)
        self.name = self.folder.name or str(self.folder)
        self.n_frames = len(self.files)
        self.n_frames_exact = True
        first = self._load(0)
        self.size_wh = (int(first.shape[1]), int(first.shape[0]))
        self._first: np.ndarray | None = first
        self._index = 0
        self._closed = False

    def _load(self, i: int) -> np.ndarray:
        path = self.files[i]
        image = _imread_rgb(path)
        if image is None:
            raise SourceError(f"{path}: not a readable image; remove it from the folder or replace it")
        return image

    def read(self) -> Frame | None:
        if self._closed or self._index >= len(self.files):
            return None
        i = self._index
        if i == 0 and self._first is not None:
            image, self._first = self._first, None
        else:
            image = self._load(i)
        if (image.shape[1], image.shape[0]) != self.size_wh:
            w, h = self.size_wh
            raise SourceError(
                f"{self.files[i]}: is {image.shape[1]}x{image.shape[0]} but the first image is {w}x{h}; "
                "all images of a folder must have one size"
            )
        self._index += 1
        return Frame(image, i * 1000.0 / self.fps, i)

    def close(self) -> None:
        self._closed = True
        self._first = None
