"""Keep OpenCV's and FFmpeg's own log lines out of the user's terminal.

hiprom reports every unreadable file or camera itself, in one line; the
libraries' warnings would only repeat it, less clearly.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import cv2


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
