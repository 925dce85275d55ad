"""Issue 12 #8: a truncated video is noticed, a variable frame rate is timed by its timestamps.

The clips are written here with OpenCV and edited box by box (``clips.py``):
exactly known announced counts, decodable frames and presentation times.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hiprom.capture import VideoFileSource
from hiprom.pipeline import analyze_recording
from hiprom.recording import LandmarkRecording
from hiprom.synthetic import Trial, protocol, seated_recording

from .clips import cut, set_frame_times, set_matroska_duration, truncate, write_mkv, write_mp4

ANNOUNCED = 137
PAUSE_S = 3.9  # a recorder that paused for 3.9 s after frame 99


@pytest.fixture(scope="module")
def truncated_clip(tmp_path_factory) -> Path:
    path = write_mp4(tmp_path_factory.mktemp("clips") / "cut.mp4", ANNOUNCED)
    return truncate(path, 0.46)


@pytest.fixture(scope="module")
def vfr_clip(tmp_path_factory) -> Path:
    path = write_mp4(tmp_path_factory.mktemp("clips") / "vfr.mp4", 180)
    return set_frame_times(path, _vfr_times(180))


def _vfr_times(n: int) -> np.ndarray:
    t = np.arange(n) / 30.0
    t[100:] += PAUSE_S
    return t


def test_truncated_video_says_how_many_frames_it_lost(truncated_clip: Path) -> None:
    with VideoFileSource(truncated_clip) as source:
        assert source.n_frames == ANNOUNCED and source.notes == []
        frames = list(source)
    decoded = len(frames)
    assert 10 < decoded < ANNOUNCED - 10
    assert len(source.notes) == 1
    note = source.notes[0]
    assert note.startswith("cut.mp4 is truncated") and f"announces {ANNOUNCED} frames" in note
    assert f"only {decoded} could be decoded" in note


def test_whole_video_has_no_note(tmp_path: Path) -> None:
    with VideoFileSource(write_mp4(tmp_path / "whole.mp4", 40)) as source:
        assert len(list(source)) == 40
    assert source.notes == []


def test_mkv_whose_sound_runs_longer_is_whole_but_a_cut_one_is_truncated(tmp_path: Path) -> None:
    # Matroska announces duration x fps frames, the duration of its longest track: here 2.0 s
    # (sound running on) for 40 frames of picture at 30 fps, 60 frames announced.
    whole = set_matroska_duration(write_mkv(tmp_path / "sound_longer.mkv", 40), 2.0)
    with VideoFileSource(whole) as source:
        assert source.n_frames == 60
        assert len(list(source)) == 40
    assert source.notes == []
    with VideoFileSource(cut(whole, 0.5)) as source:
        decoded = len(list(source))
    assert 5 < decoded < 35
    assert len(source.notes) == 1 and source.notes[0].startswith("sound_longer.mkv is truncated")


def test_variable_frame_rate_timestamps_come_from_the_file(vfr_clip: Path) -> None:
    with VideoFileSource(vfr_clip) as source:
        assert source.fps == pytest.approx(30.0)  # the container's average: frames / fps says 6.0 s
        t_ms = np.array([f.t_ms for f in source])
    assert t_ms.shape == (180,)
    np.testing.assert_allclose(t_ms, _vfr_times(180) * 1000.0, atol=0.05)


def test_duration_of_a_variable_frame_rate_recording_is_its_timestamps_span() -> None:
    rec = seated_recording(protocol([Trial("left", "internal", 30.0)], fps=30.0)[1], fps=30.0)
    n = rec.n_frames
    t_s = np.arange(n) / 30.0
    t_s[n // 2:] += PAUSE_S
    vfr = dataclasses.replace(rec, t_ms=t_s * 1000.0)
    assert analyze_recording(rec)["duration_s"] == pytest.approx(n / 30.0, abs=1e-3)  # constant rate: as before
    result = analyze_recording(vfr)
    assert result["frames"] == n and result["fps"] == pytest.approx(30.0)
    assert result["duration_s"] == pytest.approx(n / 30.0 + PAUSE_S, abs=1e-3)


def test_truncated_note_reaches_recording_and_analysis(truncated_clip: Path, tmp_path: Path) -> None:
    """The recording keeps the note (saved and loaded), and the analysis lists it first."""
    rec = seated_recording(np.zeros((60, 2)), fps=30.0)
    noted = dataclasses.replace(rec, source="cut.mp4", notes=("cut.mp4 is truncated: ...",))  # the file's own name
    back = LandmarkRecording.load(noted.save(tmp_path / "noted.landmarks.npz"))
    assert back.notes == noted.notes
    assert analyze_recording(back)["quality"]["notes"][0] == "cut.mp4 is truncated: ..."
    assert LandmarkRecording.load(rec.save(tmp_path / "plain.landmarks.npz")).notes == ()


@pytest.mark.model
@pytest.mark.slow
def test_analyze_warns_about_a_truncated_video_and_counts_real_frames(
    truncated_clip: Path, model_path: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cut.json"
    done = subprocess.run([sys.executable, "-m", "hiprom.cli.main", "analyze", str(truncated_clip), "--json", str(out),
                           "-q"], capture_output=True, text=True, timeout=300)
    assert "hiprom: warning: cut.mp4 is truncated" in done.stderr, done.stderr
    result = json.loads(out.read_text())
    with VideoFileSource(truncated_clip) as source:
        decoded = sum(1 for _ in source)
    assert result["frames"] == decoded < ANNOUNCED
    assert result["quality"]["notes"][0].startswith("cut.mp4 is truncated")
