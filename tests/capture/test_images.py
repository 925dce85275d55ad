"""Image folders: natural name order, timing from fps, and clear errors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from hiprom.capture import ImageFolderSource, open_source
from hiprom.errors import SourceError

pytestmark = pytest.mark.footage


def test_folder_gives_its_images_in_natural_order_timed_by_fps(image_folder):
    folder, rgb = image_folder
    with ImageFolderSource(folder, fps=10) as source:
        frames = list(source)
    assert source.n_frames == 12 and source.size_wh == (640, 480) and source.fps == 10
    assert [p.name for p in source.files][:3] == ["frame_1.png", "frame_2.png", "frame_3.png"]
    assert [p.name for p in source.files][-1] == "frame_12.png"  # not right after frame_1
    np.testing.assert_allclose([f.t_ms for f in frames], np.arange(12) * 100.0)
    for frame, expected in zip(frames, rgb):
        np.testing.assert_array_equal(frame.image, expected)  # PNG is lossless, RGB order


def test_open_source_picks_the_folder_with_default_30_fps(image_folder):
    folder, _ = image_folder
    with open_source(folder) as source:
        assert isinstance(source, ImageFolderSource)
        times = [f.t_ms for f in source]
    assert times[1] == pytest.approx(1000 / 30)


def test_empty_folder_is_refused(tmp_path):
    with pytest.raises(SourceError, match="holds no image files"):
        ImageFolderSource(tmp_path)


def test_unreadable_image_is_named(image_folder, tmp_path):
    folder, rgb = image_folder
    cv2.imwrite(str(tmp_path / "a1.png"), rgb[0][..., ::-1])
    (tmp_path / "a2.png").write_bytes(b"\x89PNG but not really")
    with ImageFolderSource(tmp_path) as source:
        assert source.read() is not None
        with pytest.raises(SourceError, match="a2.png: not a readable image"):
            source.read()


def test_image_of_another_size_is_named(image_folder, tmp_path):
    folder, rgb = image_folder
    cv2.imwrite(str(tmp_path / "a1.png"), rgb[0][..., ::-1])
    cv2.imwrite(str(tmp_path / "a2.png"), rgb[1][:240, :320, ::-1])
    with ImageFolderSource(tmp_path) as source:
        source.read()
        with pytest.raises(SourceError, match=r"a2.png: is 320x240 but the first image is 640x480"):
            source.read()


@pytest.mark.parametrize("fps", [0, -5, float("nan")])
def test_bad_fps_is_refused(image_folder, fps):
    with pytest.raises(SourceError, match="fps"):
        ImageFolderSource(image_folder[0], fps=fps)


def test_grey_and_alpha_images_become_rgb(tmp_path):
    rng = np.random.default_rng(3)
    cv2.imwrite(str(tmp_path / "1.png"), rng.integers(0, 256, (48, 64), dtype=np.uint8))
    cv2.imwrite(str(tmp_path / "2.png"), rng.integers(0, 256, (48, 64, 4), dtype=np.uint8))
    with ImageFolderSource(tmp_path) as source:
        shapes = [f.image.shape for f in source]
    assert shapes == [(48, 64, 3), (48, 64, 3)]
