"""Frames of a live camera, timed by a monotonic clock that goes on while the computer sleeps."""

from __future__ import annotations

import math
import time

import cv2

from hiprom.capture._opencv import OpenCVSource, opencv_silent
from hiprom.capture.base import Frame
from hiprom.clock import AwakeClock
from hiprom.errors import SourceError

DEFAULT_FPS = 30.0
FIRST_FRAME_TIMEOUT_S = 5.0
"""How long a camera that opened may take to deliver its first picture."""


def _cannot_open(index: int, what: str) -> SourceError:
    return SourceError(
        f"camera {index} {what}; check that the camera index is right (0 is usually the built-in camera), "
        "that this program is allowed to use the camera (system privacy settings, or membership of the "
        "'video' group on Linux), that no other app (video call, browser tab) is using it, "
        "or give a video file instead of a camera index"
    )


class CameraSource(OpenCVSource):
    """Frames of a webcam, as they arrive.

    ``t_ms`` is a monotonic clock in milliseconds since the first frame
    (time of grabbing), so it is strictly increasing even if the driver's
    timestamps are missing or jump; a sleep of the computer between two frames
    puts them that far apart (:class:`~hiprom.clock.AwakeClock`).

    Args:
        index: OpenCV camera index (0 is usually the built-in camera).
        duration_s: stop after this many seconds; ``None`` runs until closed.
        clock: what times the frames (a new ``AwakeClock`` when None).

    Raises:
        SourceError: the camera cannot be opened or gives no picture.
    """

    is_live = True

    def __init__(self, index: int, duration_s: float | None = None, clock: AwakeClock | None = None) -> None:
        if index < 0:
            raise SourceError(f"camera index must be 0 or more, but got {index}")
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise SourceError(f"duration must be a positive number of seconds, but got {duration_s}")
        super().__init__()
        self.index = int(index)
        self.name = f"camera {self.index}"
        self.duration_s = duration_s
        self.n_frames = None
        self._clock = clock if clock is not None else AwakeClock()
        self._t0_ms: float | None = None
        with opencv_silent():
            cap = cv2.VideoCapture(self.index)
            opened = cap.isOpened()
        if not opened:
            cap.release()
            raise _cannot_open(self.index, "could not be opened")
        self._cap = cap
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if math.isfinite(fps) and 0.0 < fps <= 1000.0 else DEFAULT_FPS
        self._pending = self._first_frame()
        self.size_wh = self._pending.size_wh

    def _first_frame(self) -> Frame:
        deadline = time.monotonic() + FIRST_FRAME_TIMEOUT_S
        while time.monotonic() < deadline:
            frame = self._grab()
            if frame is not None:
                return frame
            time.sleep(0.05)
        self.close()
        raise _cannot_open(self.index, f"opened but gave no picture within {FIRST_FRAME_TIMEOUT_S:g} s")

    def _grab(self) -> Frame | None:
        bgr = self._read_bgr()
        now_ms = self._clock.now_ms()
        if bgr is None:
            return None
        if self._t0_ms is None:
            self._t0_ms = now_ms
        t_ms = now_ms - self._t0_ms
        if self._last_t_ms is not None and t_ms <= self._last_t_ms:
            t_ms = self._last_t_ms + 1e-3
        return self._frame(bgr, t_ms)

    def read(self) -> Frame | None:
        if self._pending is not None:
            return self._take_pending()
        frame = self._grab()
        if frame is None:
            if self._cap is not None:
                raise SourceError(f"{self.name} stopped giving pictures (unplugged, or taken by another app)")
            return None
        if self.duration_s is not None and frame.t_ms > self.duration_s * 1000.0:
            self.close()
            return None
        return frame
