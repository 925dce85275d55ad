"""Good videos as phones and camcorders make them: turned by a tag, or stored in non-square pixels.

The clips are written here with OpenCV and their tags set byte by byte (``clips.py``).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from hiprom.capture import VideoFileSource
from hiprom.errors import SourceError

from .clips import set_display_matrix, write_images_mp4, write_mjpeg_avi, write_mp4


def _upright(w: int = 160, h: int = 120) -> np.ndarray:
    """A picture whose every turn and flip looks different: a wide block in the top-left corner."""
    img = np.full((h, w, 3), 40, np.uint8)
    img[10:30, 10:70] = 230
    return img


def _first_bgr(path: Path) -> tuple[tuple[int, int], np.ndarray]:
    with VideoFileSource(path) as source:
        frame = source.read()
        assert frame is not None
        return source.size_wh, cv2.cvtColor(frame.image, cv2.COLOR_RGB2BGR)


@pytest.mark.parametrize(
    ("stored_turn", "abcd"),
    [
        (cv2.ROTATE_90_CLOCKWISE, (0, -1, 1, 0)),
        (cv2.ROTATE_180, (-1, 0, 0, -1)),
        (cv2.ROTATE_90_COUNTERCLOCKWISE, (0, 1, -1, 0)),
    ],
    ids=["quarter", "half", "three-quarters"],
)
def test_a_phone_video_turned_by_its_tag_is_read_upright_and_not_mirrored(tmp_path, stored_turn, abcd):
    upright = _upright()
    clip = write_images_mp4(tmp_path / "phone.mp4", [cv2.rotate(upright, stored_turn)] * 3)
    set_display_matrix(clip, abcd)
    size_wh, first = _first_bgr(clip)
    assert size_wh == (160, 120)
    assert np.abs(first.astype(int) - upright).mean() < 4  # a wrong turn or a mirror moves the block: ~25


def test_non_square_pixels_are_stretched_to_the_picture_a_player_shows(tmp_path):
    # A 4:3 picture stored squeezed into 120x120 pixels, each 4/3 as wide as tall (anamorphic).
    upright = _upright()
    squeezed = cv2.resize(upright, (120, 120), interpolation=cv2.INTER_AREA)
    clip = write_mjpeg_avi(tmp_path / "anamorphic.avi", [squeezed] * 3, pixel_aspect=(4, 3))
    size_wh, first = _first_bgr(clip)
    assert size_wh == (160, 120)
    assert first.shape == (120, 160, 3)
    assert np.abs(first.astype(int) - upright).mean() < 6  # as drawn, up to JPEG and resampling


def test_square_pixels_are_left_as_stored(tmp_path):
    clip = write_mjpeg_avi(tmp_path / "square.avi", [_upright()] * 3)
    with VideoFileSource(clip) as source:
        assert source.size_wh == (160, 120)
        assert [f.image.shape for f in source] == [(120, 160, 3)] * 3


def test_a_video_that_opens_but_never_decodes_names_its_codec_and_how_to_convert(tmp_path):
    # What a codec this build cannot decode looks like to the reader: a container it opens,
    # frames it cannot turn into pictures (here, frames blanked out).
    clip = write_mp4(tmp_path / "unplayable clip.mp4", 10)
    data = bytearray(clip.read_bytes())
    at = data.index(b"mdat")
    size = int.from_bytes(data[at - 4:at], "big")
    data[at + 4:at - 4 + size] = bytes(size - 8)
    clip.write_bytes(bytes(data))
    with pytest.raises(SourceError) as caught:
        VideoFileSource(clip)
    message = str(caught.value)
    assert "\n" not in message
    assert "unplayable clip.mp4: no frame of its video (codec FMP4) could be decoded" in message
    assert "convert it to H.264 .mp4 (e.g. ffmpeg -i IN -c:v libx264 OUT.mp4)" in message
