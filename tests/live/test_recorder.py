"""The guided test's recorder: the recording it saves."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.assessment import load_norms
from hiprom.live.recorder import GuidedRecorder
from hiprom.recording import TrackedBy


def test_a_gap_without_frames_does_not_lower_the_saved_frame_rate():
    """30 fps for 10 s, 20 s without frames (the tab hidden), 10 s more: the saved recording (and the
    PDF's "N frames at F fps") says 30 fps. Before, 15.0 fps: frames over the whole test's length."""
    rec = GuidedRecorder(load_norms().trials)
    for t_ms in np.concatenate([np.arange(0, 10, 1 / 30), np.arange(30, 40, 1 / 30)]) * 1000:
        rec.add(t_ms, np.zeros((33, 4)), np.zeros((33, 4)), 1)
    assert rec.recording((640, 480), mirrored=False, made_by=TrackedBy("m"), source="s").fps == pytest.approx(30.0, abs=0.01)
