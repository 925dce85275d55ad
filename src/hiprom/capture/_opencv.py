"""What the OpenCV-backed sources (camera, video file) share.

``opencv_silent`` keeps OpenCV's and FFmpeg's own log lines out of the
user's terminal: hiprom reports every unreadable file or camera itself, in
one line; the libraries' warnings would only repeat it, less clearly.
``OpenCVSource`` holds the capture, the decode buffer reused for every frame,
and the first frame, which is read when the source opens (to learn the frame
size and to fail early) and handed out first.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import cv2
import numpy as np

from hiprom.capture.base import Frame, FrameSource


@contextlib.contextmanager
def opencv_silent() -> Iterator[None]:
    """Mute OpenCV's log (and FFmpeg's) while opening or probing a source.

    OpenCV reads ``OPENCV_FFMPEG_LOGLEVEL`` when its FFmpeg backend first
    opens something, so it is set (unless the user set it) before that.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        yield
        return
    old = logging.getLogLevel()
    logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(old)


class OpenCVSource(FrameSource):
    """A ``FrameSource`` over a ``cv2.VideoCapture``; subclasses open it and time the frames."""

    def __init__(self) -> None:
        self._cap: cv2.VideoCapture | None = None
        self._bgr: np.ndarray | None = None  # decode buffer, reused for every frame
        self._pending: Frame | None = None  # the frame read at open, handed out first
        self._index = 0
        self._last_t_ms: float | None = None
        self.notes: list[str] = []

    def _read_bgr(self) -> np.ndarray | None:
        """Decode the next picture into the reused buffer (BGR); ``None`` when there is none."""
        cap = self._cap
        if cap is None:
            return None
        try:
            ok, bgr = cap.read(self._bgr)
        except cv2.error:
            return None
        if not ok or bgr is None or bgr.ndim != 3:
            return None
        self._bgr = bgr
        return bgr

    def _frame(self, bgr: np.ndarray, t_ms: float) -> Frame:
        """The next ``Frame``: ``bgr`` as RGB at ``t_ms`` (already strictly increasing)."""
        self._last_t_ms = t_ms
        frame = Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t_ms, self._index)
        self._index += 1
        return frame

    def _take_pending(self) -> Frame | None:
        frame, self._pending = self._pending, None
        return frame

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pending = None
