"""What a source names: one rule used by every command (analyze, track, serve, batch).

``SourceSpec.parse`` reads a ``--source`` or input argument:

- a string of ASCII digits, when no file or folder of that name exists: a camera index;
- ``demo``: the built-in demo recording (where a command offers it);
- a name ending ``.npz`` (``.landmarks.npz`` or any ``.npz``): a landmark recording;
- an existing folder: a folder of images;
- an empty name: refused (it is not the current folder);
- anything else: a video file (``VIDEO_SUFFIXES`` are the endings searched for in folders).

``check()`` turns a missing file or a file of no known kind into one clear
``InputError`` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hiprom.errors import InputError
from hiprom.parsing import ascii_int
from hiprom.recording import SUFFIX as RECORDING_SUFFIX

SourceKind = Literal["camera", "demo", "recording", "folder", "video"]

VIDEO_SUFFIXES: tuple[str, ...] = (
    ".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mts", ".m2ts", ".3gp", ".mpg", ".mpeg", ".wmv",
)
"""File endings taken as videos (case-insensitive): phones' and cameras' own (``.MOV``, AVCHD
camcorders' ``.MTS``/``.M2TS``, older phones' ``.3gp``), those made by editing and screen
recording, and older MPEG and Windows videos; OpenCV's FFmpeg decodes them all."""

RECORDING_SUFFIXES: tuple[str, ...] = (RECORDING_SUFFIX, ".npz")
"""File endings taken as landmark recordings (``hiprom track`` writes ``.landmarks.npz``)."""


def file_kind(name: str | Path) -> Literal["recording", "video"] | None:
    """``"recording"``, ``"video"`` or ``None`` for a file name, by its ending."""
    low = Path(name).name.lower()
    if low.endswith(RECORDING_SUFFIXES):
        return "recording"
    if low.endswith(VIDEO_SUFFIXES):
        return "video"
    return None


@dataclass(frozen=True)
class SourceSpec:
    """What a source argument names.

    Attributes:
        kind: ``camera``, ``demo``, ``recording``, ``folder`` (images) or ``video``.
        value: the camera index, the path, or None for the demo.
    """

    kind: SourceKind
    value: int | Path | None

    @classmethod
    def parse(cls, spec: str | int | Path) -> "SourceSpec":
        """Classify ``spec`` (see the module docstring); never touches the file's contents.

        Raises:
            InputError: ``spec`` is empty (``Path("")`` would silently mean the current folder).
        """
        if isinstance(spec, int) and not isinstance(spec, bool):
            return cls("camera", spec)
        text = str(spec).strip()
        if not text:
            raise InputError("the source is empty; give a video file, a .landmarks.npz recording, "
                             "an image folder or a camera number")
        path = Path(text).expanduser()
        index = ascii_int(text, max_digits=4)  # "¹²³" is a name, not camera 123
        if index is not None and not path.exists():
            return cls("camera", index)
        if text.lower() == "demo" and not path.exists():
            return cls("demo", None)
        if file_kind(text) == "recording":
            return cls("recording", path)
        if path.is_dir():
            return cls("folder", path)
        return cls("video", path)

    @property
    def is_recording(self) -> bool:
        """Landmarks (a recording or the demo): no pictures, no pose model needed."""
        return self.kind in ("recording", "demo")

    @property
    def label(self) -> str:
        """Short name for the page and log (never a full path)."""
        if self.kind == "camera":
            return f"camera {self.value}"
        if self.kind == "demo":
            return "demo recording"
        return Path(str(self.value)).name

    def check(self) -> "SourceSpec":
        """Fail early, with one clear line, for a missing file or one of no known kind."""
        if self.kind in ("camera", "demo"):
            return self
        path = Path(str(self.value))
        if not path.exists():
            raise InputError(f"source {path}: no such file or folder; check the path")
        if self.kind == "video" and file_kind(path) is None:
            raise InputError(
                f"source {path.name}: not a video ({', '.join(VIDEO_SUFFIXES)}), a landmark recording "
                f"({RECORDING_SUFFIX}), an image folder or a camera number; check the name"
            )
        return self
