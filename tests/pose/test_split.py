"""One long video tracked as two halves at once (``hiprom.pose.split``), against one pass."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from hiprom.batch.discover import Job
from hiprom.batch.outputs import BatchOptions
from hiprom.batch.worker import compute
from hiprom.capture import VideoFileSource
from hiprom.pipeline import analyze_recording
from hiprom.pose import PoseTracker, track
from hiprom.pose import split
from hiprom.recording import LandmarkRecording


@pytest.fixture(autouse=True)
def split_from_300_frames(monkeypatch):
    """Halves from 300 frames (not 600), so a short clip exercises the split: the model is the
    dearest part of the suite."""
    monkeypatch.setattr(split, "SPLIT_MIN_FRAMES", 300)


@pytest.fixture(scope="module")
def long_seated_test(footage_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gt11's first 340 frames (30 fps): three whole trials, and the middle frame (170) falls in the
    held peak of the second (156-200), where a bad join would show."""
    path = footage_dir / "rendered" / "gt11.mp4"
    if not path.is_file():
        pytest.skip(f"rendered clip not found at {path}")
    out = tmp_path_factory.mktemp("split") / "gt11-340.mp4"
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < 340 and (got := cap.read())[0]:
        frames.append(got[1])
    cap.release()
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return out


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_two_halves_give_the_recording_and_the_peaks_of_one_pass(long_seated_test, model_path, monkeypatch):
    with VideoFileSource(long_seated_test) as source, PoseTracker(model_path) as tracker:
        assert split.splittable(source)
        halves = track(source, tracker)
    monkeypatch.setattr(split, "SPLIT_MIN_FRAMES", 10**9)
    with VideoFileSource(long_seated_test) as source, PoseTracker(model_path) as tracker:
        assert not split.splittable(source)
        one = track(source, tracker)
    assert (halves.tracking, one.tracking) == ("two halves", "one pass")  # what each analysis says
    assert halves.n_frames == one.n_frames == 340
    np.testing.assert_array_equal(halves.t_ms, one.t_ms)
    middle = 340 // 2
    np.testing.assert_array_equal(halves.image[:middle], one.image[:middle])  # the first half is that pass
    a, b = analyze_recording(halves, source="halves"), analyze_recording(one, source="one")
    for side, key in (("left", "external_rotation_deg"), ("left", "internal_rotation_deg"),
                      ("right", "external_rotation_deg")):  # the three trials of these frames
        assert b["sides"][side][key] is not None, (side, key)
        assert a["sides"][side][key] == pytest.approx(b["sides"][side][key], abs=0.5), (side, key)
    assert a["asymmetry"]["verdicts"] == b["asymmetry"]["verdicts"]


def test_one_pass_blocks_keep_a_long_video_in_one_pass(long_seated_test):
    with VideoFileSource(long_seated_test) as source:
        assert split.splittable(source)
        with split.one_pass():
            assert not split.splittable(source)
        assert split.splittable(source)


def test_analyze_splits_a_long_video_whatever_the_cores_and_threads(long_seated_test, monkeypatch):
    """`analyze` tracks a video alike on any machine, so it gives the same figures: on one core and
    one OpenCV thread too. Before, the machine decided, and a 685-frame test's right external rotation
    read 28.5 ± 2.5° tracked as two halves, 28.6 ± 3.6° in one pass."""
    monkeypatch.setattr("hiprom.cores.available_cores", lambda: 1)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with VideoFileSource(long_seated_test) as source:
            assert split.splittable(source)
    finally:
        cv2.setNumThreads(threads)


SPLIT_SEEN: list[bool] = []


def splittable_here(path, model=None, mirrored=None, norms=None, progress=None):
    """A batch analyser that notes whether ``path`` would be split where the batch analyses it."""
    with VideoFileSource(path) as source:
        SPLIT_SEEN.append(split.splittable(source))
    return None, None


def test_a_batch_tracks_every_input_in_one_pass(long_seated_test):
    """A batch's input, on a local worker or on Dask (both through `compute`), is tracked in one pass
    whatever the batch's size: its other inputs keep the cores busy. Before, a batch of one input was
    split and a batch of two was not, so one video's figures depended on what else was in the batch."""
    SPLIT_SEEN.clear()
    options = BatchOptions.create(analyzer=f"{__name__}:splittable_here")
    compute(Job(path=long_seated_test, rel="gt11.mp4", stem="gt11"), options)
    assert SPLIT_SEEN == [False]


def _rec(hips_x: np.ndarray, t_ms: np.ndarray) -> LandmarkRecording:
    n = len(t_ms)
    image = np.full((n, 33, 4), 0.5)
    image[:, split.HIPS, 0] = hips_x[:, None]
    return LandmarkRecording(t_ms=t_ms, image=image, world=np.zeros((n, 33, 4)), width=640, height=480, fps=30.0)


def test_halves_join_only_on_the_same_frames_and_the_same_person():
    t = np.arange(100) * 33.3
    first = _rec(np.full(60, 0.5), t[:60])
    assert split._agree(first, _rec(np.full(60, 0.51), t[40:]), 40)
    assert not split._agree(first, _rec(np.full(60, 0.8), t[40:]), 40)  # somebody else
    assert not split._agree(first, _rec(np.full(60, 0.5), t[40:] + 5.0), 40)  # other frames
    nobody = _rec(np.full(60, np.nan), t[40:])
    assert not split._agree(first, nobody, 40)
    assert not split._agree(dataclasses.replace(first, image=np.full((60, 33, 4), np.nan)), nobody, 40)  # whom to follow?


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_a_cut_off_long_video_is_tracked_to_its_last_frame_and_says_so(long_seated_test, model_path, tmp_path):
    cap = cv2.VideoCapture(str(long_seated_test))
    whole = tmp_path / "long.avi"  # AVI: its header announces the frames, so a cut copy still opens
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (640, 480))
    while (got := cap.read())[0]:
        writer.write(got[1])
    writer.release()
    cap.release()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    with VideoFileSource(cut) as source:
        decodable = sum(1 for _ in source)
    with VideoFileSource(cut) as source, PoseTracker(model_path) as tracker:
        assert source.n_frames == 340 and split.splittable(source)
        rec = track(source, tracker)
    assert 170 < decodable < 340 and rec.n_frames == decodable
    assert np.all(np.diff(rec.t_ms) > 0)
    assert any("truncated" in note for note in rec.notes)


class _NoModel:
    """Stands in for a ``PoseTracker`` where the frames' landmarks do not matter."""

    def __init__(self, model_path: object = None, num_poses: int = 2, min_confidence: float = 0.5) -> None:
        self.model_path, self.num_poses, self.min_confidence = model_path, num_poses, min_confidence

    def __enter__(self) -> "_NoModel":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _count_frames(source, tracker, progress, *, mirrored=False) -> LandmarkRecording:
    """One pass that finds the same person in every frame, calling ``progress`` after each."""
    t_ms = []
    for k, frame in enumerate(source, 1):
        t_ms.append(frame.t_ms)
        progress(k, source.n_frames)
    return _rec(np.full(len(t_ms), 0.5), np.array(t_ms))


def test_the_bar_advances_with_every_frame_either_half_tracks(tmp_path, monkeypatch):
    """The time left is right from the start: the second half's warm-up advances the bar too.

    The bar used to stand still while the second half warmed up (120 frames at 60 fps), so its
    speed and time left were half and twice the real ones early on (81 s shown, 39.5 s real)."""
    path = tmp_path / "long.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 60.0, (32, 32))
    for k in range(600):
        writer.write(np.full((32, 32, 3), k % 256, np.uint8))
    writer.release()
    monkeypatch.setattr(split, "PoseTracker", _NoModel)
    seen: list[tuple[int, int | None]] = []
    with VideoFileSource(path) as source:
        assert source.n_frames == 600 and source.n_frames_exact
        rec = split.track_halves(source, _NoModel(), _count_frames, lambda done, total: seen.append((done, total)))
    overlap = 120  # the second half starts 2 s (120 frames at 60 fps) before the middle
    assert rec.n_frames == 600
    assert len(seen) == 600 + overlap  # both halves' frames, the warm-up's too
    assert {total for _, total in seen} == {600}
    completed = np.array([done for done, _ in seen])
    assert completed[-1] == 600 and np.all(np.diff(completed) >= 0)
    tracked = np.arange(1, len(seen) + 1)
    np.testing.assert_allclose(completed, tracked * 600 / (600 + overlap), atol=1)  # the same pace all along
