"""Frames of a video file, timed by the file's own timestamps."""

from __future__ import annotations

import math
import os
from pathlib import Path

import cv2

from hiprom.capture._opencv import OpenCVSource, opencv_silent
from hiprom.capture.base import Frame, next_timestamp_ms
from hiprom.capture.container import file_container, mp4_track_kinds, shortfall_means_cut_off
from hiprom.errors import SourceError
from hiprom.parsing import check_text_ok, printable_name

DEFAULT_FPS = 30.0
"""Frame rate assumed when a container states none (or nonsense)."""

MAX_FPS = 1000.0

SQUARE_PIXELS_TOLERANCE = 0.01
"""Pixel aspect ratios within 1 % of square are taken as square (no resampling)."""

MISSING_FRAMES_TOLERATED = 2
"""Frames a file may hold fewer than it announces before it counts as truncated.

Containers without a frame index announce duration x fps, which can be off by a frame or two."""


def _is_still_image(path: Path) -> bool:
    """True when OpenCV recognises the file's content as a picture format (JPEG, PNG...)."""
    try:
        return bool(cv2.haveImageReader(str(path)))
    except cv2.error:
        return False


def _refuse_sound_only(path: Path) -> None:
    """Raise the one line for an MP4/MOV file of sound and no picture (a voice memo named .mp4)."""
    kinds = mp4_track_kinds(path)
    if kinds is not None and "vide" not in kinds:
        what = "sound but no picture" if "soun" in kinds else "no picture"
        raise SourceError(f"{path}: has {what} (no video track); record the test as a video, "
                          "or choose the video file it belongs to")


class VideoFileSource(OpenCVSource):
    """Frames of a video file (anything FFmpeg can decode: .mp4, .mov, .avi, .mkv ...).

    A file that ends before the frames it announces (``n_frames``, an
    interrupted copy or download) is read to its last decodable frame and
    says so in ``notes``; where the count is only the container's duration
    x fps, the shortfall is noted only when the file is seen to be cut off
    (``hiprom.capture.container``).

    Frames are upright as a player shows them: OpenCV is told to turn a phone
    video by its rotation tag (90/180/270), and a video of non-square pixels
    (an anamorphic camcorder or TV format, e.g. 1440x1080 shown as
    1920x1080) is stretched to square pixels here, as a player does, since
    every angle is measured on the picture and a squeezed picture bends them.
    ``size_wh`` is the size shown.

    Timestamps come from the container (``CAP_PROP_POS_MSEC``); where it
    gives none, repeats or goes backwards, the frame is placed one nominal
    step (1000 / fps ms) after the previous, so ``t_ms`` is always strictly
    increasing. The first frame is decoded on opening, so a file that is not a
    video fails here, with a ``SourceError`` naming it, not halfway through.

    Args:
        path: the video file.

    Raises:
        SourceError: the file is missing, empty, a still image, or cannot be decoded.
    """

    is_live = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.name = self.path.name
        self._stored_wh = (0, 0)  # decoded size, before any stretch to square pixels
        self._open()

    def _open(self) -> None:
        p = self.path
        if not p.exists():
            raise SourceError(f"{p}: no such file; check the path")
        if p.is_dir():
            raise SourceError(f"{p}: is a folder, not a video file; pass the folder itself to read its images as frames")
        try:
            size = p.stat().st_size
        except OSError as exc:
            raise SourceError(f"{p}: cannot be read ({exc.strerror or exc})") from None
        if size == 0:
            raise SourceError(f"{p}: is empty (0 bytes); it is not a video")
        if not os.access(p, os.R_OK):
            raise SourceError(f"{p}: cannot be read (permission denied); check the file's permissions")
        if not check_text_ok(str(p)):  # OpenCV crashes (SIGSEGV) on such a name
            raise SourceError(
                f"{printable_name(str(p))}: the file name is not UTF-8 text (made on another system?), "
                "which the video reader cannot open; rename the file"
            )
        if _is_still_image(p):
            raise SourceError(
                f"{p}: is a still image, not a video; to track a sequence of pictures, "
                "put them in a folder and pass the folder"
            )
        with opencv_silent():
            cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
            if not cap.isOpened():  # another backend (e.g. Media Foundation) may still read it
                cap.release()
                cap = cv2.VideoCapture(str(p))
        if not cap.isOpened():
            cap.release()
            _refuse_sound_only(p)
            raise SourceError(
                f"{p}: not a readable video (corrupt, incomplete, or not a video at all); "
                "check that it plays in a video player, or re-export it as .mp4"
            )
        # Turn phone videos upright by their tag: OpenCV's default, but not in every release (off in 4.11, opencv#26795).
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        self._cap = cap
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 0.0 < fps <= MAX_FPS else DEFAULT_FPS
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.n_frames = count if count > 0 else None
        self.n_frames_exact = self.n_frames is not None and file_container(p) == "indexed"
        first = self._decode()
        if first is None:
            codec = self._codec_text()
            self.close()
            _refuse_sound_only(p)
            raise SourceError(
                f"{p}: no frame of its video{codec} could be decoded: the file is damaged, or its "
                "codec is one this build of OpenCV cannot read; if it plays in a video player, convert it "
                "to H.264 .mp4 (e.g. ffmpeg -i IN -c:v libx264 OUT.mp4)"
            )
        self._pending = first

    def _codec_text(self) -> str:
        """`` (codec XXXX)`` as the container names the video's codec, or nothing when it names none."""
        code = int(self._cap.get(cv2.CAP_PROP_FOURCC) or 0) & 0xFFFFFFFF if self._cap is not None else 0
        name = code.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ")
        return f" (codec {name})" if code not in (0, 0xFFFFFFFF) and name.isprintable() and name else ""

    def _pixel_aspect(self) -> float:
        """Width / height of one stored pixel, as the file states it (1.0 when it states none)."""
        cap = self._cap
        num, den = float(cap.get(cv2.CAP_PROP_SAR_NUM) or 0.0), float(cap.get(cv2.CAP_PROP_SAR_DEN) or 0.0)
        sar = num / den if num > 0 and den > 0 else 1.0
        return sar if math.isfinite(sar) and abs(sar - 1.0) > SQUARE_PIXELS_TOLERANCE else 1.0

    def _shown_wh(self, stored_wh: tuple[int, int]) -> tuple[int, int]:
        """The size a player shows a decoded (already upright) picture of ``stored_wh`` at: square pixels.

        A pixel's aspect ratio describes the stored picture, so for a video that OpenCV turned
        by 90 or 270 degrees it stretches the height."""
        sar = self._pixel_aspect()
        w, h = stored_wh
        if sar == 1.0:
            return stored_wh
        turned = round(self._cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0.0) % 180 == 90 and bool(
            self._cap.get(cv2.CAP_PROP_ORIENTATION_AUTO))
        return (w, max(1, round(h * sar))) if turned else (max(1, round(w * sar)), h)

    def _decode(self) -> Frame | None:
        """Decode the next frame into the reused buffer; return it as RGB."""
        bgr = self._read_bgr()
        if bgr is None:
            return None
        stored_wh = (bgr.shape[1], bgr.shape[0])
        if self._index == 0:
            self._stored_wh, self.size_wh = stored_wh, self._shown_wh(stored_wh)
        elif stored_wh != self._stored_wh:
            w, h = self._stored_wh
            raise SourceError(
                f"{self.path}: frame {self._index} is {stored_wh[0]}x{stored_wh[1]} but the video "
                f"started at {w}x{h}; re-encode the video at one size"
            )
        if self.size_wh != stored_wh:
            bgr = cv2.resize(bgr, self.size_wh, interpolation=cv2.INTER_LINEAR)
        t_ms = next_timestamp_ms(self._cap.get(cv2.CAP_PROP_POS_MSEC), self._last_t_ms, 1000.0 / self.fps)
        return self._frame(bgr, t_ms)

    def read(self) -> Frame | None:
        if self._pending is not None:
            return self._take_pending()
        frame = self._decode()
        if frame is None:
            self._note_if_truncated()
        return frame

    def skip(self, n: int) -> int:
        """Pass over the next ``n`` frames, decoded but not converted (``grab``), keeping their
        times, so that ``read`` goes on exactly where reading them would have; returns how many
        there were (fewer at the end of the file)."""
        done = 0
        if n > 0 and self._pending is not None:
            self._pending = None
            done = 1
        cap = self._cap
        while done < n and cap is not None and cap.grab():
            self._last_t_ms = next_timestamp_ms(cap.get(cv2.CAP_PROP_POS_MSEC), self._last_t_ms, 1000.0 / self.fps)
            self._index += 1
            done += 1
        return done

    def _note_if_truncated(self) -> None:
        """At the end: note a file that decodes fewer frames than it announces (a cut-off copy)."""
        announced = self.n_frames
        if announced is None or self.notes or announced - self._index <= MISSING_FRAMES_TOLERATED:
            return
        if not shortfall_means_cut_off(self.path):  # e.g. a .mkv whose sound runs on after the picture
            return
        seconds = (self._last_t_ms or 0.0) / 1000.0 + 1.0 / self.fps
        self.notes.append(
            f"{self.name} is truncated: it announces {announced} frames but only {self._index} could be decoded "
            f"(the first {seconds:.1f} s); the analysis covers those only, so copy or export the video again"
        )
