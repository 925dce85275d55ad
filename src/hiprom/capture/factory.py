"""``open_source``: one spec (camera index, folder, or file) to the right ``FrameSource``."""

from __future__ import annotations

from pathlib import Path

from hiprom.capture.base import FrameSource
from hiprom.capture.camera import CameraSource
from hiprom.capture.images import DEFAULT_FPS, ImageFolderSource
from hiprom.capture.video import VideoFileSource
from hiprom.errors import InputError
from hiprom.source import SourceSpec


def parse_camera_index(spec: str | int | Path) -> int | None:
    """The camera index ``spec`` names (``0``, ``"1"``), or ``None`` for a path (see ``hiprom.source``)."""
    if isinstance(spec, bool):
        return None
    parsed = SourceSpec.parse(spec)
    return parsed.value if parsed.kind == "camera" else None  # type: ignore[return-value]


def open_source(
    spec: str | int | Path,
    *,
    fps: float | None = None,
    duration_s: float | None = None,
) -> FrameSource:
    """Open a camera (``0``, ``"0"``), a folder of images, or a video file.

    Args:
        spec: camera index, image folder, or video file.
        fps: frame rate of an image folder (default 30); images carry no timing.
        duration_s: seconds to record from a camera; ``None`` runs until closed.

    Raises:
        SourceError: the source cannot be opened (the message names it and says what to check).
        InputError: ``fps`` or ``duration_s`` given for a kind of source they do not apply to.
    """
    index = parse_camera_index(spec)
    if index is not None:
        if fps is not None:
            raise InputError(f"fps applies to image folders only; camera {index} runs at its own rate")
        return CameraSource(index, duration_s=duration_s)
    path = Path(spec)
    if duration_s is not None:
        raise InputError(f"a duration applies to cameras only; {path.name} is read to its end")
    if path.is_dir():
        return ImageFolderSource(path, fps=DEFAULT_FPS if fps is None else fps)
    if fps is not None:
        raise InputError(f"fps applies to image folders only; {path.name} carries its own timing")
    return VideoFileSource(path)
