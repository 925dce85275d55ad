"""Video files: every readable clip of the shared footage, and every kind of bad file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from hiprom.capture import Frame, VideoFileSource, open_source
from hiprom.capture.base import next_timestamp_ms
from hiprom.errors import SourceError

from .clips import as_sound_only, write_mp4
from .conftest import decode_bgr

pytestmark = pytest.mark.footage


def _readable(provenance: dict[str, dict]) -> list[str]:
    return [name for name, entry in provenance.items() if entry.get("measured", {}).get("frames_read")]


def test_every_readable_clip_gives_all_frames_in_rgb_with_increasing_times(footage_dir, provenance):
    for name in _readable(provenance):
        measured = provenance[name]["measured"]
        with VideoFileSource(footage_dir / name) as source:
            frames = list(source)
        w, h = measured["width"], measured["height"]
        assert len(frames) == measured["frames_read"], name
        assert source.size_wh == (w, h), name
        assert source.fps == pytest.approx(measured["fps"], rel=1e-3), name
        assert source.name == name and not source.is_live
        assert all(f.image.shape == (h, w, 3) and f.image.dtype == np.uint8 for f in frames), name
        assert [f.index for f in frames] == list(range(len(frames))), name
        t = np.array([f.t_ms for f in frames])
        assert t[0] == 0.0 and np.all(np.diff(t) > 0), name


def test_frames_are_rgb_and_independent_of_the_decode_buffer(gt01):
    reference = decode_bgr(gt01, limit=6)
    with VideoFileSource(gt01) as source:
        frames = [source.read() for _ in range(6)]
    for frame, bgr in zip(frames, reference):
        # Held frames keep their own pixels although decoding reuses one buffer.
        np.testing.assert_array_equal(frame.image, bgr[..., ::-1])


def test_timestamps_come_from_the_file(gt01, footage_dir):
    with VideoFileSource(gt01) as source:
        t = np.array([f.t_ms for f in source])
    np.testing.assert_allclose(t, np.arange(137) * 100.0, atol=1e-6)  # 10 fps clip
    # A 28.99 fps phone clip with uneven frame spacing: times follow the container.
    with VideoFileSource(footage_dir / "b_seated_then_stand_tug_sds.mp4") as source:
        t = np.array([f.t_ms for f in source])
    steps = np.diff(t)
    assert steps.min() > 0 and steps.max() > 3 * np.median(steps)


@pytest.mark.parametrize("n", [0, 1, 7, 136])
def test_skipping_frames_lands_where_reading_them_would(footage_dir, n):
    # The uneven phone clip: times after a skip must be the container's, as when read.
    clip = footage_dir / "b_seated_then_stand_tug_sds.mp4"
    with VideoFileSource(clip) as source:
        frames = list(source)
    with VideoFileSource(clip) as source:
        assert source.skip(n) == n
        rest = list(source)
    assert [f.index for f in rest] == [f.index for f in frames[n:]]
    assert [f.t_ms for f in rest] == [f.t_ms for f in frames[n:]]
    np.testing.assert_array_equal(rest[0].image, frames[n].image)


def test_skipping_past_the_end_says_how_many_there_were(gt01):
    with VideoFileSource(gt01) as source:
        assert source.skip(500) == 137
        assert source.read() is None


@pytest.mark.parametrize(
    ("candidate", "previous", "expected"),
    [
        (0.0, None, 0.0),            # first frame at its own time
        (None, None, 0.0),           # nothing usable for the first frame
        (133.4, 100.0, 133.4),       # a good container time is kept
        (100.0, 100.0, 133.25),      # repeated time: one nominal step later
        (90.0, 100.0, 133.25),       # backwards
        (float("nan"), 100.0, 133.25),
        (-5.0, 100.0, 133.25),
    ],
)
def test_garbage_container_times_fall_back_to_the_frame_rate(candidate, previous, expected):
    assert next_timestamp_ms(candidate, previous, 33.25) == pytest.approx(expected)


def test_source_closes_and_stops(gt01):
    with VideoFileSource(gt01) as source:
        first = next(iter(source))
    assert isinstance(first, Frame) and first.index == 0
    assert source.read() is None


def _write_random(path: Path, n_bytes: int, seed: int) -> Path:
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, n_bytes, dtype=np.uint8).tobytes())
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d, f: f / "d_nonvideo_text_named.mp4", "not a readable video"),
        (lambda d, f: f / "d_nonvideo_truncated_squats.mp4", "not a readable video"),
        (lambda d, f: f / "d_nonvideo_still_image_tfjs.jpg", "is a still image"),
        (lambda d, f: f / "no_such_clip.mp4", "no such file"),
        (lambda d, f: _write_random(d / "noise.avi", 50_000, seed=1), "not a readable video"),
        (lambda d, f: (d / "empty.mp4").touch() or d / "empty.mp4", "is empty"),
        (lambda d, f: d, "is a folder"),
        # before: "not a readable video (corrupt, ...); check that it plays in a video player", and it does play
        (lambda d, f: as_sound_only(write_mp4(d / "memo.mp4", 5)), "has sound but no picture (no video track)"),
    ],
    ids=["text-named-mp4", "truncated-mp4", "still-jpeg", "missing", "random-bytes", "empty", "folder", "sound-only"],
)
def test_bad_files_raise_one_clear_error_naming_the_file(tmp_path, footage_dir, make, says):
    path = make(tmp_path, footage_dir)
    with pytest.raises(SourceError) as err:
        VideoFileSource(path)
    message = str(err.value)
    assert str(path) in message and says in message
    assert "\n" not in message


def test_still_image_message_points_to_image_folders(footage_dir):
    with pytest.raises(SourceError, match="put them in a folder"):
        open_source(footage_dir / "d_nonvideo_still_image_tfjs.jpg")


def test_mp4_with_a_destroyed_header_is_rejected(tmp_path, footage_dir):
    broken = tmp_path / "broken_header.mp4"
    shutil.copy(footage_dir / "c_squats_front_tfjs.mp4", broken)
    data = bytearray(broken.read_bytes())
    data[:4096] = np.random.default_rng(2).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    broken.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="broken_header.mp4"):
        VideoFileSource(broken)


def test_open_source_reads_a_video_path_given_as_text(gt01):
    with open_source(str(gt01)) as source:
        assert isinstance(source, VideoFileSource)
        assert source.n_frames == 137 and source.fps == 10.0


def test_fps_or_duration_for_a_video_is_refused(gt01):
    from hiprom.errors import InputError

    with pytest.raises(InputError, match="image folders only"):
        open_source(gt01, fps=5)
    with pytest.raises(InputError, match="cameras only"):
        open_source(gt01, duration_s=3)

