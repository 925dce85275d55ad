"""``hiprom track`` as a user runs it: a subprocess, its exit code, one-line errors, the file it writes."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from hiprom.recording import LandmarkRecording


def hiprom(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hiprom.cli.main", *map(str, args)],
        capture_output=True, text=True, env=full_env, timeout=240,
    )


def assert_one_line_error(run: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert run.returncode == code, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("hiprom: error: ")
    assert "Traceback" not in run.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.footage
@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("d_nonvideo_text_named.mp4", "not a readable video"),
        ("d_nonvideo_truncated_squats.mp4", "not a readable video"),
        ("d_nonvideo_still_image_tfjs.jpg", "is a still image"),
        ("no_such_clip.mp4", "no such file"),
    ],
)
def test_non_video_and_missing_files_fail_in_one_line(footage_dir, tmp_path, name, says):
    out = tmp_path / "x.landmarks.npz"
    run = hiprom("track", footage_dir / name, "-o", out)
    assert_one_line_error(run, 2, name, says)
    assert not out.exists()


def test_no_model_reachable_fails_with_the_clear_message(footage_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {"HIPROM_MODEL_DIR": str(empty), "HIPROM_OFFLINE": "1", "HIPROM_CACHE_DIR": str(tmp_path / "cache")}
    run = hiprom("track", footage_dir / "rendered" / "gt01.mp4", "-o", tmp_path / "x.landmarks.npz", env=env)
    assert_one_line_error(
        run, 3,
        "pose model pose_landmarker_full.task not found",
        str(empty / "pose_landmarker_full.task"),
        str(tmp_path / "cache" / "models" / "pose_landmarker_full.task"),
        "HIPROM_MODEL_DIR", "--model PATH",
    )
    assert "mediapipe" not in run.stderr.lower()


def test_model_path_that_is_not_a_model_fails_in_one_line(footage_dir, tmp_path):
    bad = tmp_path / "model.task"
    bad.write_text("not a model")
    run = hiprom("track", footage_dir / "rendered" / "gt01.mp4", "-o", tmp_path / "x.npz", "--model", bad)
    assert_one_line_error(run, 3, str(bad), "not a MediaPipe model bundle")


def test_camera_needs_a_duration_and_a_missing_camera_says_what_to_check(tmp_path):
    assert_one_line_error(hiprom("track", "0", "-o", tmp_path / "x.npz"), 2, "needs --duration")
    run = hiprom("track", "57", "--duration", "1", "-o", tmp_path / "x.npz")
    assert_one_line_error(run, 2, "camera 57 could not be opened", "allowed to use the camera")


def test_output_that_is_a_folder_is_refused(footage_dir, tmp_path):
    run = hiprom("track", footage_dir / "rendered" / "gt01.mp4", "-o", tmp_path)
    assert_one_line_error(run, 2, "is a folder")


@pytest.mark.model
@pytest.mark.footage
def test_image_folder_is_tracked_into_a_recording(footage_dir, model_path, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    cap = cv2.VideoCapture(str(footage_dir / "rendered" / "gt01.mp4"))
    for i in range(6):
        ok, bgr = cap.read()
        assert ok
        cv2.imwrite(str(frames / f"img{i + 1}.png"), bgr)
    cap.release()
    out = tmp_path / "out" / "frames.landmarks.npz"
    run = hiprom("track", frames, "-o", out, "--fps", "12.5", "--mirrored", env={"HIPROM_MODEL_DIR": str(model_path.parent)})
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "W0000" not in run.stderr  # MediaPipe's native log stays quiet
    assert run.stdout.count("\n") == 1 and "6 frames" in run.stdout and "100% of frames" in run.stdout
    rec = LandmarkRecording.load(out)
    assert rec.n_frames == 6 and rec.fps == 12.5 and rec.mirrored
    np.testing.assert_allclose(rec.t_ms, np.arange(6) * 80.0)
    assert rec.model == "pose_landmarker_full" and rec.source == "frames"


def test_fps_for_a_video_is_refused(footage_dir, tmp_path):
    run = hiprom("track", footage_dir / "rendered" / "gt01.mp4", "-o", tmp_path / "x.npz", "--fps", "5")
    assert_one_line_error(run, 2, "image folders only")


@pytest.mark.parametrize(("make", "total"), [("mkv_sound_longer", None), ("mp4", "/40 frames")])
def test_the_progress_total_is_shown_only_when_the_container_counts_its_frames(model_path, tmp_path, make, total):
    """A Matroska clip whose sound runs on (2.0 s for 40 frames at 30 fps) announces 60 frames: the bar
    ended at 40/60 ("left 0:00:03" at 33/60). It now shows the frames done, as for a camera; an MP4's
    indexed count is still its total."""
    spec = importlib.util.spec_from_file_location("clips", Path(__file__).parents[1] / "capture" / "clips.py")
    clips = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clips)  # the clip makers of tests/capture (this folder is no package)
    clip = (clips.set_matroska_duration(clips.write_mkv(tmp_path / "clip.mkv", 40), 2.0) if make == "mkv_sound_longer"
            else clips.write_mp4(tmp_path / "clip.mp4", 40))
    run = hiprom("track", clip, "-o", tmp_path / "clip.landmarks.npz",
                 env={"HIPROM_MODEL_DIR": str(model_path.parent), "TTY_COMPATIBLE": "1", "NO_COLOR": "1"})
    assert run.returncode == 0, run.stderr
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", run.stderr)
    assert "/60" not in shown
    if total:
        assert total in shown
    else:
        assert re.search(r"\b\d+ frames\b", shown) and not re.search(r"\d+/\d+ frames", shown)
