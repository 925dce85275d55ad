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

import struct
from pathlib import Path
from typing import BinaryIO, Literal

Container = Literal["indexed", "matroska", "other"]

MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}
MATROSKA_MAGIC = b"\x1a\x45\xdf\xa3"  # the EBML header's element ID
MATROSKA_SEGMENT = 0x18538067
HEAD_BYTES = 4096  # the EBML header and the Segment's start are within the first few dozen bytes
MOOV_MAX_BYTES = 64 << 20  # a movie header this long is not read (hours of a phone's video hold a few MB)
_TRACK_PATH = (b"trak", b"mdia", b"hdlr")


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


def _mp4_boxes(f: BinaryIO, end: int) -> list[tuple[bytes, int, int]]:
    """The boxes of an MP4/MOV from the file position up to ``end``: (kind, body offset, body size)."""
    boxes = []
    at = f.tell()
    while at + 8 <= end:
        f.seek(at)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:  # a 64-bit size follows
            size, header = struct.unpack(">Q", f.read(8))[0], 16
        elif size == 0:  # to the end of the file
            size = end - at
        if size < header or at + size > end:
            break
        boxes.append((kind, at + header, size - header))
        at += size
    return boxes


def mp4_track_kinds(path: Path) -> list[str] | None:
    """The handler kinds of an MP4/MOV file's tracks (``vide``, ``soun``, ...), in order; ``None`` when the file
    is not such a file, has no whole movie header (``moov``), or cannot be read.

    A phone's voice memo or a sound recording saved as ``.mp4`` holds a ``soun`` track and no ``vide`` one:
    it plays in a player, so "not a readable video" would send the user looking for a fault it does not have.
    """
    try:
        with path.open("rb") as f:
            f.seek(0, 2)
            end = f.tell()
            f.seek(0)
            top = _mp4_boxes(f, end)
            if not top or top[0][0] not in MP4_BOXES:
                return None
            moov = next(((at, size) for kind, at, size in top if kind == b"moov"), None)
            if moov is None or moov[1] > MOOV_MAX_BYTES:
                return None
            kinds = []
            f.seek(moov[0])
            for kind, at, size in _mp4_boxes(f, moov[0] + moov[1]):
                if kind != _TRACK_PATH[0]:
                    continue
                for inner in _TRACK_PATH[1:]:
                    f.seek(at)
                    found = next(((a, n) for k, a, n in _mp4_boxes(f, at + size) if k == inner), None)
                    if found is None:
                        break
                    at, size = found
                else:  # hdlr: version and flags (4 bytes), pre-defined (4), the handler kind (4)
                    f.seek(at + 8)
                    kinds.append(f.read(4).decode("latin-1"))
            return kinds
    except (OSError, struct.error):
        return None
