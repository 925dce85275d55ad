"""``hiprom track`` over every file of the shared footage (one run per file per session)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import hiprom
from hiprom.landmarks import Landmark

pytestmark = [pytest.mark.model, pytest.mark.footage, pytest.mark.slow]

FIELDS = {"format", "t_ms", "image", "world", "width", "height", "fps", "mirrored", "n_people", "model", "source", "hiprom_version"}
HIPS = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
KNEES_ANKLES = [Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE, Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE]


def _videos(provenance: dict[str, dict]) -> list[str]:
    return [name for name, e in provenance.items() if e.get("measured", {}).get("frames_read")]


def _found(rec) -> np.ndarray:
    return ~np.isnan(rec.image[:, 0, 0])


def test_every_video_is_tracked_and_every_non_video_refused(tracked_clips, provenance):
    for name, entry in provenance.items():
        expected = 0 if entry.get("measured", {}).get("frames_read") else 2
        assert tracked_clips[name].exit_code == expected, name
    assert tracked_clips["gt01.mp4"].exit_code == 0 and tracked_clips["gt06.mp4"].exit_code == 0


def test_recordings_hold_the_documented_fields_and_shapes(tracked_clips, provenance):
    for name in _videos(provenance):
        measured = provenance[name]["measured"]
        with np.load(tracked_clips[name].path, allow_pickle=False) as data:
            assert FIELDS <= set(data.files), name
            n = measured["frames_read"]
            assert str(data["format"]) == "hiprom.landmarks/1"
            assert data["t_ms"].shape == (n,) and data["t_ms"].dtype == np.float64
            assert data["image"].shape == (n, 33, 4) and data["world"].shape == (n, 33, 4)
            assert data["n_people"].shape == (n,)
            assert (int(data["width"]), int(data["height"])) == (measured["width"], measured["height"]), name
            assert float(data["fps"]) == pytest.approx(measured["fps"], rel=1e-3)
            assert not bool(data["mirrored"])
            assert str(data["model"]) == "pose_landmarker_full"
            assert str(data["source"]) == name
            assert str(data["hiprom_version"]) == hiprom.__version__
            assert np.all(np.diff(data["t_ms"]) > 0)


def test_pose_found_in_at_least_90_percent_where_a_person_is_fully_visible(tracked_clips, provenance):
    fully_visible = [
        n for n in _videos(provenance)
        if provenance[n]["expect"].get("people") == 1 and provenance[n]["expect"].get("legs_visible") is True
    ]
    assert len(fully_visible) >= 3
    for name in [*fully_visible, "gt01.mp4", "gt06.mp4"]:
        assert _found(tracked_clips[name].recording).mean() >= 0.90, name


def test_people_are_seen_as_often_as_the_reference_run(tracked_clips, provenance):
    for name in _videos(provenance):
        rec = tracked_clips[name].recording
        seen_pct = 100.0 * (rec.n_people > 0).mean()
        assert seen_pct == pytest.approx(provenance[name]["measured"]["pct_pose"], abs=3.0), name


def test_empty_room_gives_nan_rows(tracked_clips):
    rec = tracked_clips["d_empty_room_kalininator.mp4"].recording
    assert rec.n_frames == 100
    assert np.isnan(rec.image).all() and np.isnan(rec.world).all()
    assert (rec.n_people == 0).all()


def test_man_entering_an_empty_room_is_picked_up(tracked_clips):
    rec = tracked_clips["b_sofa_sit_elevated_kalininator.mp4"].recording
    found = _found(rec)
    assert not found[:100].any()  # empty room for ~21 s
    assert found[120:].mean() > 0.9  # then the man who came in


def test_two_people_clip_follows_one_subject_without_jumps(tracked_clips):
    rec = tracked_clips["c_d_two_people_outdoor_sports2d.mp4"].recording
    found = _found(rec)
    assert (rec.n_people >= 2).mean() > 0.4  # both really are in view for long stretches
    # The subject (the man on the box) is followed without a break while the other man walks in and
    # stays (frames 10-160), and lost only mid-somersault and as he leaves: 86-88 % of the frames
    # (MediaPipe's numbers differ a little between CPUs: 85.7 % on an AMD EPYC, 88.3 % elsewhere).
    assert found[10:160].all()
    assert found.mean() >= 0.85
    # Hip centre in frame-height units; the two people are >= 0.45 apart whenever both are seen.
    hip = rec.image[:, HIPS, :2].mean(axis=1) * [rec.width / rec.height, 1.0]
    both = found[1:] & found[:-1]
    jumps = np.hypot(*np.diff(hip, axis=0).T)[both]
    assert jumps.max() < 0.2
    # Nor across the frames where he is lost: he comes back where he was heading, not on the other man.
    seen = np.flatnonzero(found)
    assert np.hypot(*np.diff(hip[seen], axis=0).T).max() < 0.45
    # The other man walks in at frame ~60: he is counted within ~1.3 s, then until the subject leaves (~170).
    first = int(np.argmax(rec.n_people >= 2))
    assert 55 < first < 100
    assert (rec.n_people[first:170] >= 2).mean() > 0.85


def test_duplicate_detections_of_one_person_are_not_counted_as_two(tracked_clips, provenance):
    # MediaPipe returns a spurious second pose of the same man in ~18% of this clip's frames.
    name = "d_webcam_desk_upper_body_caliscope.mp4"
    assert provenance[name]["measured"]["pct_multi_pose"] > 10
    rec = tracked_clips[name].recording
    assert (rec.n_people > 1).mean() < 0.05


def test_face_only_webcam_has_a_pose_but_no_visible_legs(tracked_clips):
    rec = tracked_clips["d_webcam_face_only_tfjs.mp4"].recording
    assert _found(rec).all()
    assert np.nanmean(rec.image[:, KNEES_ANKLES, 3]) < 0.1


def test_times_are_the_video_timestamps(tracked_clips):
    rec = tracked_clips["gt01.mp4"].recording
    np.testing.assert_allclose(rec.t_ms, np.arange(137) * 100.0, atol=1e-6)


def test_a_desk_webcam_with_the_legs_hidden_is_not_measurable_and_says_what_to_film(tracked_clips):
    """The knees of this clip are "seen" in one frame of 111: it read as measurable, with no trial and no advice."""
    from hiprom.assessment.wording import explain
    from hiprom.pipeline import analyze_recording

    result = analyze_recording(tracked_clips["d_webcam_desk_upper_body_caliscope.mp4"].recording)
    assert not result["measurable"]
    # Whether the model "sees" a knee in one frame or in none depends on the CPU's kernels (an AMD
    # EPYC: 1 of 111 frames; an Intel Xeon: none); either way it is the legs, and the advice is the same.
    assert re.search(r"leg hard to see|leg never visible|leg out of the picture", result["not_measurable_reason"])
    assert explain(result)["not_measurable"].startswith("Keep both knees and feet in the picture")
