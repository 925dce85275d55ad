"""``pose_input``: small frames are smoothed edge-preservingly, larger ones pass untouched."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.pose.prepare import SMALL_SIDE_PX, equalized, pose_input


def _blocky(h: int, w: int) -> np.ndarray:
    """A dark and a light half (an edge) with seeded pixel noise on both."""
    rng = np.random.default_rng(0)
    img = np.full((h, w, 3), 60, dtype=np.int16)
    img[:, w // 2 :] = 200
    return np.clip(img + rng.integers(-8, 9, size=img.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("size_hw", [(SMALL_SIDE_PX, 640), (720, 1280), (640, SMALL_SIDE_PX)])
def test_frames_from_the_threshold_up_pass_as_they_are(size_hw):
    img = _blocky(*size_hw)
    assert pose_input(img) is img


@pytest.mark.parametrize("size_hw", [(240, 320), (SMALL_SIDE_PX - 1, 640)])
def test_small_frames_lose_noise_and_keep_edges(size_hw):
    img = _blocky(*size_hw)
    out = pose_input(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    h, w = size_hw
    flat = (slice(None), slice(0, w // 2 - 4))
    assert out[flat].std() < 0.6 * img[flat].std()  # noise smoothed
    assert out[:, w // 2 - 2].mean() < 80 and out[:, w // 2 + 1].mean() > 180  # the edge stays sharp


def test_equalized_spreads_a_grey_on_grey_picture_and_keeps_its_colours():
    # An untextured grey leg in front of a nearly grey wall: 20 grey levels apart end up over twice as far.
    img = np.full((120, 160, 3), 110, dtype=np.uint8)
    img[:, 60:100] = 130
    img[:10, :10] = (180, 60, 60)  # a red patch stays the reddest part
    out = equalized(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    assert int(out[50:, 60:100].mean()) - int(out[50:, :50].mean()) > 2 * 20
    red = out[:10, :10].astype(int)
    assert (red[..., 0] > red[..., 1] + 40).all()
    assert np.array_equal(img[0, 0], (180, 60, 60))  # the input is left as it was
