"""Peak pictures: the frames of each side's peaks, skeleton drawn, over the video when given."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from hiprom.recording import LandmarkRecording
from hiprom.report.snapshots import SIDE_RGB, peak_frame_indices, peak_snapshots

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"


@dataclass
class FakeFrame:
    index: int
    image: np.ndarray


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_peak_frames_are_the_frames_of_the_reported_peak_times(analysis: dict) -> None:
    rec = LandmarkRecording.load(SAMPLE)
    idx = peak_frame_indices(analysis, rec.t_ms)
    t_s = (rec.t_ms - rec.t_ms[0]) / 1000
    for side in ("left", "right"):
        for direction in ("internal", "external"):
            when = analysis["sides"][side][f"{direction}_peak_t_s"]
            assert abs(t_s[idx[side][direction]] - when) <= 0.5 / rec.fps + 1e-9


def test_pictures_with_and_without_video(analysis: dict) -> None:
    rec = LandmarkRecording.load(SAMPLE)
    plain = peak_snapshots(analysis, rec)
    assert set(plain) == {"left", "right"}
    w, h = rec.size_wh
    magenta = np.zeros((h, w, 3), np.uint8)
    magenta[...] = (230, 20, 200)
    read = []

    def frames():
        for i in range(rec.n_frames):
            read.append(i)
            yield FakeFrame(i, magenta)

    over_video = peak_snapshots(analysis, rec, frames())
    last_peak = max(i for per in peak_frame_indices(analysis, rec.t_ms).values() for i in per.values())
    assert read[-1] == last_peak  # the video is read once, up to the last peak
    for side, png in over_video.items():
        rgb = _rgb(png)
        assert rgb.shape[0] == 360 and rgb.shape[1] > 300  # internal | external side by side
        assert (np.abs(rgb - (230, 20, 200)).max(axis=2) < 10).mean() > 0.3  # the frame shows
        assert (np.abs(rgb - SIDE_RGB[side]).max(axis=2) < 10).mean() > 0.003  # the measured leg
        assert (np.abs(_rgb(plain[side]) - (230, 20, 200)).max(axis=2) < 10).mean() == 0
