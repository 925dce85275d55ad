"""The MJPEG preview's pictures: encoded once for every viewer, at the size the viewers show them.

A page shows the picture in a box smaller than the source (about 560x420 device
pixels of a 1280x720 camera in a 1280x800 window); it asks for the box's size
when it opens the stream (``/video.mjpg?w=&h=``). Each picture is scaled once
(``scaled``) to the largest box asked by the viewers connected now,
never above the source's own size, encoded once and handed to all of them: a
viewer with a smaller box gets a picture its browser scales down, never a
blurred one. With no viewer nothing is encoded.
"""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np

from hiprom.live.hub import Hub, Subscription


def picture_wh(source_wh: tuple[int, int], box_wh: tuple[int, int] | None) -> tuple[int, int]:
    """The largest size of the source's aspect ratio that fits ``box_wh``, never above ``source_wh`` (pixels).

    ``box_wh`` None: the source's own size.
    """
    w, h = source_wh
    if box_wh is None:
        return w, h
    scale = min(1.0, box_wh[0] / w, box_wh[1] / h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def scaled(image_rgb: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """``image_rgb`` ``(h, w, 3)`` scaled down to ``size_wh`` (pixels, at most the image's own size).

    The mean of each k x k block first (``INTER_AREA`` at a whole factor k: 0.3 ms for 1280x720 to 640x360,
    where ``INTER_AREA`` to 629x354 directly takes 3.6 ms), then ``INTER_LINEAR`` for the factor left, between
    1/2 and 1, which samples every source pixel (no aliasing of fine lines)."""
    import cv2

    h, w = image_rgb.shape[:2]
    k = max(1, min(w // size_wh[0], h // size_wh[1]))
    if k > 1:
        image_rgb = cv2.resize(image_rgb, None, fx=1.0 / k, fy=1.0 / k, interpolation=cv2.INTER_AREA)
    if image_rgb.shape[1::-1] != tuple(size_wh):
        image_rgb = cv2.resize(image_rgb, tuple(size_wh), interpolation=cv2.INTER_LINEAR)
    return image_rgb


def encode_jpeg(image_rgb: np.ndarray, quality: int, size_wh: tuple[int, int] | None = None) -> bytes:
    """JPEG bytes of an RGB picture ``(h, w, 3)``, scaled first to ``size_wh`` (pixels) when it differs.

    The colours are swapped into a new BGR array for OpenCV: encoding a reversed view of the RGB array
    (``[:, :, ::-1]``) took 4.7 ms at 1280x720, this 2.0 ms."""
    import cv2

    h, w = image_rgb.shape[:2]
    if size_wh is not None and tuple(size_wh) != (w, h):
        image_rgb = scaled(image_rgb, size_wh)
    bgr = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
    return buf.tobytes() if ok else b""


class PreviewHub(Hub[bytes]):
    """The preview's viewers (each with the box it shows the picture in) and the pictures sent to them.

    Args:
        loop: the event loop the viewers run on.
        fps: most pictures a second.
        quality: JPEG quality, 10-100.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, fps: float, quality: int) -> None:
        super().__init__(loop, maxsize=2, keep_last=False)
        self._fps = fps
        self._quality = quality
        self._boxes: dict[Subscription[bytes], tuple[int, int] | None] = {}
        self._boxes_lock = threading.Lock()
        self._last_sent = 0.0

    def subscribe(self, box_wh: tuple[int, int] | None = None) -> Subscription[bytes]:
        """A new viewer showing the picture in ``box_wh`` (device pixels; None: at the source's size)."""
        sub = super().subscribe()
        with self._boxes_lock:
            self._boxes[sub] = box_wh
        return sub

    def _remove(self, sub: Subscription[bytes]) -> None:
        super()._remove(sub)
        with self._boxes_lock:
            self._boxes.pop(sub, None)

    def size_for(self, source_wh: tuple[int, int]) -> tuple[int, int]:
        """The size pictures are sent at now: the largest any viewer asked, within the source's size (pixels)."""
        with self._boxes_lock:
            boxes = list(self._boxes.values())
        sizes = [picture_wh(source_wh, box) for box in boxes] or [source_wh]
        return max(sizes)

    def snapshot(self, image_rgb: np.ndarray, box_wh: tuple[int, int] | None) -> bytes:
        """One picture for a viewer just connected, at its own box's size."""
        h, w = image_rgb.shape[:2]
        return encode_jpeg(image_rgb, self._quality, picture_wh((w, h), box_wh))

    def offer(self, image_rgb: np.ndarray) -> None:
        """Encode and send the picture when a viewer is watching and the last one is ``1 / fps`` old."""
        if self.n_clients == 0:
            return
        now = time.monotonic()
        if now - self._last_sent < 1.0 / self._fps:
            return
        self._last_sent = now
        h, w = image_rgb.shape[:2]
        self.publish(encode_jpeg(image_rgb, self._quality, self.size_for((w, h))))
