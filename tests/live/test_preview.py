"""The MJPEG preview's pictures: one encoding for every viewer, at the largest box asked, never above the source."""

from __future__ import annotations

import asyncio

import cv2
import numpy as np
import pytest

from hiprom.live.preview import PreviewHub, picture_wh


@pytest.mark.parametrize("box_wh,expected", [
    (None, (1280, 720)),           # no box given: the source's size
    ((560, 420), (560, 315)),      # a 4:3 box shows a 16:9 picture at its width
    ((560, 200), (356, 200)),      # ... or at its height
    ((4000, 3000), (1280, 720)),   # a HiDPI box larger than the source: never scaled up
    ((1, 1), (1, 1)),
])
def test_the_picture_fits_the_box_with_the_sources_aspect_ratio(box_wh, expected):
    assert picture_wh((1280, 720), box_wh) == expected


def _jpeg_wh(jpeg: bytes) -> tuple[int, int]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return image.shape[1], image.shape[0]


def test_one_picture_for_every_viewer_at_the_largest_box_and_none_without_viewers():
    frame = np.zeros((720, 1280, 3), np.uint8)

    async def main():
        hub = PreviewHub(asyncio.get_running_loop(), fps=1000.0, quality=75)
        hub.offer(frame)  # nobody watching: nothing encoded, nothing kept for later
        small, large = hub.subscribe((320, 240)), hub.subscribe((640, 480))
        assert small.queue.empty() and large.queue.empty()
        assert hub.size_for((1280, 720)) == (640, 360)
        hub.offer(frame)
        a, b = await asyncio.wait_for(small.get(), 2.0), await asyncio.wait_for(large.get(), 2.0)
        assert a is b and _jpeg_wh(a) == (640, 360)  # encoded once, for both
        assert _jpeg_wh(hub.snapshot(frame, (320, 240))) == (320, 180)  # a viewer just come: at its own size
        large.close()
        assert hub.size_for((1280, 720)) == (320, 180)  # the large box gone: smaller pictures
        small.close()
        assert hub.n_clients == 0 and hub.size_for((1280, 720)) == (1280, 720)

    asyncio.run(main())
