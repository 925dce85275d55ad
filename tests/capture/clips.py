"""Test clips with exactly known frame counts and timestamps, made without FFmpeg's tools.

OpenCV writes a plain constant-rate MP4 (``mp4v``, the ``moov`` box at the
end); the helpers then edit its boxes in pure Python:

- :func:`set_frame_times` gives each frame its own presentation time, a
  variable-frame-rate clip;
- :func:`truncate` moves ``moov`` to the front (as a streamed/"fast start"
  file has it) and cuts the file, like an interrupted download: the container
  still announces every frame, only the first ones can be decoded.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}
MOVIE_TIMESCALE = 1000  # FFmpeg's mp4 muxer writes mvhd timescale 1000
TIMESCALE = 90_000  # ticks per second written in mdhd by set_frame_durations


def write_mp4(path: Path, n_frames: int, fps: float = 30.0, size_wh: tuple[int, int] = (160, 120)) -> Path:
    """A constant-rate clip whose frame ``i`` shows the number ``i``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size_wh)
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    rng = np.random.default_rng(0)
    for i in range(n_frames):
        img = rng.integers(0, 255, (size_wh[1], size_wh[0], 3), dtype=np.uint8)  # noise: every frame is large
        cv2.putText(img, str(i), (10, size_wh[1] // 2), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        writer.write(img)
    writer.release()
    return path


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    out, i = [], 0
    while i < len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        assert size >= 8, "64-bit box sizes are not used by these clips"
        out.append((kind, data[i + 8:i + size]))
        i += size
    return out


def _pack(boxes: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(struct.pack(">I4s", 8 + len(body), kind) + body for kind, body in boxes)


def _edit(boxes: list[tuple[bytes, bytes]], edit) -> list[tuple[bytes, bytes]]:
    """Apply ``edit(kind, body) -> body`` to every box, recursing into containers."""
    return [(kind, _pack(_edit(_boxes(body), edit)) if kind in CONTAINERS else edit(kind, body))
            for kind, body in boxes]


def set_frame_times(path: Path, t_s: np.ndarray, fps: float = 30.0) -> Path:
    """Present frame ``i`` at ``t_s[i]`` seconds (increasing, ``t_s[i] >= i / fps``), a variable rate.

    The decoding times stay ``i / fps`` (so the container's average rate, what
    OpenCV reports as fps, stays ``fps`` and frames / fps is the nominal
    duration); the presentation times, which players and OpenCV's
    ``CAP_PROP_POS_MSEC`` use, are moved by composition offsets (``ctts``),
    as a recorder that pauses writes them. The edit list covers every frame.
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    step = round(TIMESCALE / fps)
    offsets = np.round(t_s * TIMESCALE).astype(np.int64) - step * np.arange(t_s.shape[0])
    assert (offsets >= 0).all(), "frames may come late, never early"
    real_s = float(t_s[-1] + 1.0 / fps)

    def edit(kind: bytes, body: bytes) -> bytes:
        if kind == b"stts":
            return body[:4] + struct.pack(">III", 1, t_s.shape[0], step)
        if kind == b"mdhd" and body[0] == 0:  # version 0: timescale at 12, duration at 16
            return body[:12] + struct.pack(">II", TIMESCALE, step * t_s.shape[0]) + body[20:]
        if kind == b"elst" and body[0] == 0:  # else playback would end at the nominal duration
            return body[:8] + struct.pack(">I", round(real_s * MOVIE_TIMESCALE)) + body[12:]
        if kind in (b"mvhd", b"tkhd") and body[0] == 0:
            at = 16 if kind == b"mvhd" else 20
            return body[:at] + struct.pack(">I", round(real_s * MOVIE_TIMESCALE)) + body[at + 4:]
        return body

    boxes = _edit(_boxes(path.read_bytes()), edit)
    ctts = (b"ctts", struct.pack(">II", 0, len(offsets)) + b"".join(struct.pack(">II", 1, int(o)) for o in offsets))

    def with_ctts(items: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        out = []
        for kind, body in items:
            if kind == b"stbl":
                body = _pack([*_boxes(body), ctts])
            elif kind in CONTAINERS:
                body = _pack(with_ctts(_boxes(body)))
            out.append((kind, body))
        return out

    path.write_bytes(_pack(with_ctts(boxes)))
    return path


def truncate(path: Path, keep_fraction: float) -> Path:
    """Move ``moov`` before ``mdat`` (chunk offsets shifted), then keep only the first part of ``mdat``."""
    boxes = _boxes(path.read_bytes())
    kinds = [k for k, _ in boxes]
    moov = boxes[kinds.index(b"moov")]
    rest = [b for b in boxes if b[0] != b"moov"]
    shift = 8 + len(moov[1])

    def edit(kind: bytes, body: bytes) -> bytes:
        if kind != b"stco":
            return body
        n = struct.unpack(">I", body[4:8])[0]
        offsets = struct.unpack(f">{n}I", body[8:8 + 4 * n])
        return body[:8] + struct.pack(f">{n}I", *(o + shift for o in offsets))

    moved = _edit([moov], edit)
    mdat_at = kinds.index(b"mdat")
    head = _pack([rest[0], *moved, *rest[1:mdat_at]])
    mdat = _pack([rest[mdat_at]]) if rest[mdat_at][0] == b"mdat" else b""
    if not mdat:
        mdat = _pack([b for b in rest if b[0] == b"mdat"])
    path.write_bytes(head + mdat[: int(len(mdat) * keep_fraction)])
    return path


def as_sound_only(path: Path) -> Path:
    """Make the clip's one track a sound track (its handler ``vide`` -> ``soun``): a file of sound and no
    picture, as a voice memo saved as ``.mp4`` is, without FFmpeg's tools."""
    def edit(kind: bytes, body: bytes) -> bytes:
        return body[:8] + b"soun" + body[12:] if kind == b"hdlr" and body[8:12] == b"vide" else body

    path.write_bytes(_pack(_edit(_boxes(path.read_bytes()), edit)))
    return path


def write_images_mp4(path: Path, images: list[np.ndarray], fps: float = 10.0) -> Path:
    """A constant-rate ``mp4v`` clip of ``images`` (BGR, all one size)."""
    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened(), "OpenCV cannot write mp4v here"
    for img in images:
        writer.write(img)
    writer.release()
    return path


def set_display_matrix(path: Path, abcd: tuple[int, int, int, int]) -> Path:
    """Give the video track the display matrix ``[a b; c d]`` (in units of 1), as a phone tags a turned video.

    ``(0, -1, 1, 0)`` is the tag of a picture stored turned a quarter clockwise (a phone held upright
    that stores its sensor's landscape picture): players, and OpenCV, turn it back.
    """
    a, b, c, d = (v * 0x10000 for v in abcd)

    def edit(kind: bytes, body: bytes) -> bytes:
        if kind == b"tkhd" and body[0] == 0:  # version 0: the 3x3 matrix (a b u c d v x y w) at 40
            return body[:40] + struct.pack(">9i", a, b, 0, c, d, 0, 0, 0, 0x40000000) + body[76:]
        return body

    path.write_bytes(_pack(_edit(_boxes(path.read_bytes()), edit)))
    return path


JFIF_SQUARE = b"JFIF\x00\x01\x02\x00\x00\x01\x00\x01"  # OpenCV's own MJPEG writer: version 1.02, no unit, 1:1


def write_mjpeg_avi(path: Path, images: list[np.ndarray], fps: float = 10.0,
                    pixel_aspect: tuple[int, int] = (1, 1)) -> Path:
    """An MJPEG ``.avi`` of ``images`` (BGR) by OpenCV's built-in writer, its pixels ``pixel_aspect`` (w, h).

    The aspect is the JFIF density of every JPEG (no unit: an aspect ratio), from which FFmpeg
    takes the pixel aspect ratio; same length, so the AVI index stays valid.
    """
    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.CAP_OPENCV_MJPEG, cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "OpenCV's MJPEG writer is not available"
    for img in images:
        writer.write(img)
    writer.release()
    data = path.read_bytes()
    assert data.count(JFIF_SQUARE) == len(images), "OpenCV's MJPEG writer changed its JFIF header"
    num, den = pixel_aspect
    path.write_bytes(data.replace(JFIF_SQUARE, JFIF_SQUARE[:-4] + struct.pack(">HH", num, den)))
    return path


def write_mkv(path: Path, n_frames: int, fps: float = 30.0, size_wh: tuple[int, int] = (160, 120)) -> Path:
    """A constant-rate Matroska clip (``mp4v``) of noise frames, through OpenCV's FFmpeg."""
    writer = cv2.VideoWriter(str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*"mp4v"), fps, size_wh)
    assert writer.isOpened(), "OpenCV cannot write Matroska here"
    rng = np.random.default_rng(0)
    for _ in range(n_frames):
        writer.write(rng.integers(0, 255, (size_wh[1], size_wh[0], 3), dtype=np.uint8))
    writer.release()
    return path


MATROSKA_DURATION = b"\x44\x89\x88"  # Duration element, 8-byte float, in TimecodeScale units (1 ms)


def set_matroska_duration(path: Path, seconds: float) -> Path:
    """Make the file's Duration ``seconds``, as a sound track running on after the picture does."""
    data = path.read_bytes()
    at = data.index(MATROSKA_DURATION) + len(MATROSKA_DURATION)
    path.write_bytes(data[:at] + struct.pack(">d", seconds * 1000.0) + data[at + 8:])
    return path


def cut(path: Path, keep_fraction: float) -> Path:
    """Keep only the first part of the file, as an interrupted copy does."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path
