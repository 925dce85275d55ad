"""What a video file's own bytes tell about its frame count, where OpenCV does not say.

OpenCV announces a video's frame count from the container's frame index
(MP4/MOV, AVI), or else as duration x frame rate (Matroska/WebM, MPEG
transport and program streams ...), where the duration is that of the longest
track: a sound track that runs on after the picture makes such a file announce
frames it never had. Decoding fewer frames than announced therefore means a
cut-off file only where the count is an index, or where the container's own
structure shows the file is shorter than it was written (a Matroska segment
longer than what is left of the file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Container = Literal["indexed", "matroska", "other"]

MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"  # the EBML header's element ID
MATROSKA_SEGMENT = 0x18538067
HEAD_BYTES = 4096  # the EBML header and the Segment's start are within the first few dozen bytes


def container_of(head: bytes) -> Container:
    """Which kind of frame count a file starting with ``head`` announces (see the module docstring)."""
    if head[4:8] in MP4_BOXES or (head[:4] == b"RIFF" and head[8:12] == b"AVI "):
        return "indexed"
    if head[:4] == MATROSKA_MAGIC:
        return "matroska"
    return "other"


def file_container(path: Path) -> Container:
    """:func:`container_of` the file at ``path`` (``other`` when it cannot be read)."""
    try:
        with path.open("rb") as f:
            return container_of(f.read(16))
    except OSError:
        return "other"


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int | None, int]:
    """An EBML variable-length integer at ``at``: (value, next offset); value ``None`` for "unknown size"."""
    first = data[at]
    length = 8 - first.bit_length() + 1
    if first == 0 or at + length > len(data):
        raise ValueError("not an EBML number")
    value = int.from_bytes(data[at:at + length], "big")
    if keep_marker:
        return value, at + length
    value &= (1 << (7 * length)) - 1
    return (None if value == (1 << (7 * length)) - 1 else value), at + length


def matroska_cut_off(path: Path) -> bool:
    """Whether a Matroska/WebM file is shorter than its Segment says (an interrupted copy or download).

    A file written to a stream, which leaves the Segment's size unknown, or one whose
    header cannot be read, is not called cut off.
    """
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        size_on_disk = path.stat().st_size
        _, at = _vint(head, 0, keep_marker=True)  # the EBML header ...
        header_size, at = _vint(head, at, keep_marker=False)
        at += header_size or 0  # ... skipped
        segment_id, at = _vint(head, at, keep_marker=True)
        segment_size, at = _vint(head, at, keep_marker=False)
    except (OSError, ValueError, IndexError):
        return False
    return segment_id == MATROSKA_SEGMENT and segment_size is not None and at + segment_size > size_on_disk


def shortfall_means_cut_off(path: Path) -> bool:
    """Whether ``path``, having decoded fewer frames than OpenCV announced, was cut off (not merely
    a video whose sound runs longer; see the module docstring)."""
    kind = file_container(path)
    if kind == "indexed":
        return True
    return kind == "matroska" and matroska_cut_off(path)
