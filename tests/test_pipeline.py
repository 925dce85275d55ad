"""Pipeline: path -> recording -> kinematics -> result, for recordings and videos.

The footage tests track each rendered clip once per module, check that the
video and the landmarks saved from it give the same result, and print the
peak errors against ``truth.json`` (``benchmarks/bench_accuracy.py`` has the
comparison; the kernel is tuned against it).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from hiprom.assessment import NORMS_ENV, Norms
from hiprom.errors import InputError, RecordingError, SourceError
from hiprom.landmarks import mirror_landmarks
from hiprom.pipeline import analyze_path, analyze_recording, as_saved, is_recording, load_or_track
from hiprom.recording import LandmarkRecording, file_sha256
from hiprom.synthetic import Trial, protocol, seated_recording

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"
CLIPS = ("gt01", "gt06")
VOLATILE = ("created_utc", "source", "tracked_from")  # fields that may differ between two runs on the same data


def _bench():
    spec = importlib.util.spec_from_file_location("bench_accuracy", REPO / "benchmarks" / "bench_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def comparable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in VOLATILE}


@pytest.mark.parametrize(
    "name, expected",
    [("a.landmarks.npz", True), ("A.LANDMARKS.NPZ", True), ("x.npz", True), ("clip.mp4", False), ("frames", False)],
)
def test_is_recording(name, expected):
    assert is_recording(name) is expected


def test_recording_is_loaded_and_analysed():
    rec, result = analyze_path(DEMO, norms=Norms())
    assert rec.n_frames == result["frames"] and result["source"] == DEMO.name
    assert result["measurable"] and abs(result["sides"]["right"]["internal_rotation_deg"] - 38.0) <= 1.0


def test_a_small_picture_is_noted_where_the_readings_are_read():
    # On 320x240 pictures about one held peak in eight was more than 4 deg off (docs/accuracy.md):
    # the person must learn it with the numbers, in the notes the page, PDF, CSV and CLI show.
    rec = LandmarkRecording.load(DEMO)
    assert min(rec.size_wh) >= 480
    assert not any("mall camera picture" in n for n in analyze_recording(rec, Norms())["quality"]["notes"])
    small = analyze_recording(dataclasses.replace(rec, width=320, height=240), Norms())
    assert small["quality"]["notes"][0] == ("Small camera picture (320×240): readings are less certain; "
                                            "use 640×480 or more.")


def test_mirrored_override(tmp_path):
    rec = load_or_track(DEMO, mirrored=True)
    assert rec.mirrored and not LandmarkRecording.load(DEMO).mirrored
    assert load_or_track(DEMO, mirrored=None).mirrored is False


def test_the_benchmark_reads_every_variant_of_a_selfie_view_clip_as_a_selfie_view(tmp_path, capsys):
    # A truth file may list a clip filmed in selfie view ("mirrored": true). Its variants are selfie views
    # too, but for "mirror", which flips it back: read otherwise, their sides swap and every figure is off
    # by the difference between the legs (here 4-6 deg).
    bench = _bench()
    rec = LandmarkRecording.load(DEMO)
    sides = analyze_recording(rec, Norms())["sides"]
    selfie = dataclasses.replace(rec, **dict(zip(("image", "world"), mirror_landmarks(rec.image, rec.world))))
    cache = tmp_path / "cache"
    cache.mkdir()
    selfie.save(cache / "demo.landmarks.npz")
    for kind in bench.AUGMENTS:
        (rec if kind == "mirror" else selfie).save(cache / f"demo-{kind}.landmarks.npz")
    peaks = {side: {d: sides[side][f"{d}_rotation_deg"] for d in ("internal", "external")} for side in sides}
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"demo": {"file": "demo.mp4", "fps": rec.fps, "width": rec.width,
                                          "height": rec.height, "mirrored": True, "peaks": peaks}}))
    runs = tmp_path / "runs.json"
    assert bench.main(["--truth", str(truth), "--augment", "--cache", str(cache), "--json", str(runs)]) == 0
    rows = {run["name"]: [abs(row["error_deg"]) for row in run["rows"]] for run in json.loads(runs.read_text())}
    assert len(rows) == 1 + len(bench.AUGMENTS)
    assert all(max(errors) < 0.5 for errors in rows.values()), rows
    assert "SUMMARY 8 runs, 32 peaks: MAE 0.00 deg" in capsys.readouterr().out


def test_the_benchmark_counts_a_clip_it_cannot_read_as_missing_and_goes_on(tmp_path, capsys):
    # One unreadable clip of a long truth file must not stop the benchmark with a traceback and no table:
    # it is named on stderr and its four peaks count as missing beside the clips that were read.
    bench = _bench()
    rec = LandmarkRecording.load(DEMO)
    sides = analyze_recording(rec, Norms())["sides"]
    cache = tmp_path / "cache"
    cache.mkdir()
    rec.save(cache / "demo.landmarks.npz")
    (tmp_path / "broken.mp4").write_bytes(b"\x00not a video" * 300)
    peaks = {side: {d: sides[side][f"{d}_rotation_deg"] for d in ("internal", "external")} for side in sides}
    entry = {"fps": rec.fps, "width": rec.width, "height": rec.height, "peaks": peaks}
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"demo": {"file": "demo.mp4", **entry}, "broken": {"file": "broken.mp4", **entry},
                                 "gone": {"file": "gone.mp4", **entry}}))
    assert bench.main(["--truth", str(truth), "--cache", str(cache)]) == 0
    out, err = capsys.readouterr()
    assert "SUMMARY 3 runs, 12 peaks: MAE 0.00 deg" in out and "missing 8," in out
    assert "broken: not measured: " in err and "gone: not measured: " in err and "Traceback" not in err


def test_norms_from_environment(tmp_path, monkeypatch):
    config = tmp_path / "clinic.toml"
    config.write_text("norm_deg = 40\nasymmetry_threshold_deg = 1\n")
    monkeypatch.setenv(NORMS_ENV, str(config))
    _, result = analyze_path(DEMO)
    assert result["norm_deg"] == 40.0 and result["asymmetry"]["threshold_deg"] == 1.0
    # The demo's sides differ by 5-9 deg (+-5-7 deg at 95 %): beyond 1 deg for at least one measure.
    asym = result["asymmetry"]
    assert asym["flagged"] and asym["flagged_measures"] == [m for m, v in asym["verdicts"].items() if v == "exceeds"]


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda p: p / "missing.landmarks.npz", InputError, "no such file"),
        (lambda p: _write(p / "text.mp4", b"not a video"), SourceError, "not a readable video"),
        (lambda p: _write(p / "junk.landmarks.npz", b"PK junk"), RecordingError, "not a readable landmarks"),
        (lambda p: _bad_shapes(p / "shapes.landmarks.npz"), RecordingError, r"shape \(n_frames, 33, 4\)"),
    ],
)
def test_bad_inputs_raise_one_clear_error(tmp_path, make, error, message):
    with pytest.raises(error, match=message) as info:
        load_or_track(make(tmp_path))
    assert "\n" not in str(info.value)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bad_shapes(path: Path) -> Path:
    np.savez(path, t_ms=np.arange(10.0), image=np.zeros((10, 17, 3)), world=np.zeros((10, 17, 3)),
             width=640, height=480, fps=30.0)
    return path


def _short_recording(n: int) -> LandmarkRecording:
    _, rot = protocol([Trial("left", "internal", 30.0)], fps=30.0)
    rec = seated_recording(rot, fps=30.0)
    return dataclasses.replace(
        rec, t_ms=rec.t_ms[:n], image=rec.image[:n], world=rec.world[:n], n_people=rec.n_people[:n]
    )


@pytest.mark.parametrize("n", [1, 3])
def test_too_few_frames_is_a_not_measurable_result(n):
    result = analyze_recording(_short_recording(n), Norms(), source="short.landmarks.npz")
    assert not result["measurable"] and f"only {n} frame" in result["not_measurable_reason"]
    assert result["frames"] == n and len(result["series"]["t_s"]) == n


def test_no_person_is_a_not_measurable_result():
    rec = _short_recording(60)
    empty = dataclasses.replace(rec, image=np.full_like(rec.image, np.nan), world=np.full_like(rec.world, np.nan),
                                n_people=np.zeros(60, dtype=np.int64))
    result = analyze_recording(empty, Norms())
    assert not result["measurable"] and result["not_measurable_reason"] == "no person found in any frame"


def test_as_saved_matches_a_save_load_round_trip(tmp_path):
    _, rot = protocol([Trial("left", "internal", 30.0)], fps=30.0)
    rec = seated_recording(rot, fps=30.0, image_noise_px=1.5)
    loaded = LandmarkRecording.load(rec.save(tmp_path / "r.landmarks.npz"))
    np.testing.assert_array_equal(as_saved(rec).image, loaded.image)
    np.testing.assert_array_equal(as_saved(rec).world, loaded.world)


# --- real footage (../shared): tracked once per module -----------------------------------


@pytest.fixture(scope="module")
def rendered(footage_dir, rendered_truth, model_path) -> dict[str, tuple[LandmarkRecording, dict]]:
    """{clip: (recording, result)} of the rendered clips, each tracked once."""
    return {
        clip: analyze_path(footage_dir / "rendered" / rendered_truth[clip]["file"], model=model_path, norms=Norms())
        for clip in CLIPS
    }


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_video_and_its_landmarks_give_the_same_result(rendered, rendered_truth, footage_dir, track_footage, tmp_path):
    rec, from_video = rendered["gt01"]
    saved = rec.save(tmp_path / "gt01.landmarks.npz")
    _, from_landmarks = analyze_path(saved, norms=Norms())
    assert comparable(from_landmarks) == comparable(from_video)
    assert from_video["source"] == "gt01.mp4" and from_video["frames"] == 137
    # The file analysed by name, and what its landmarks were tracked from.
    assert "tracked_from" not in from_video
    assert (from_landmarks["source"], from_landmarks["tracked_from"]) == ("gt01.landmarks.npz", "gt01.mp4")
    # One recording, however analysed: the video file's own SHA-256, which its saved landmarks keep.
    video = footage_dir / "rendered" / rendered_truth["gt01"]["file"]
    assert from_video["recording_sha256"] == from_landmarks["recording_sha256"] == file_sha256(video)
    tracked = track_footage("rendered/gt01.mp4").recording  # 'hiprom track': the same recording
    assert analyze_recording(tracked, Norms())["recording_sha256"] == file_sha256(video)
    assert len({r["recording_sha256"] for _, r in rendered.values()}) == len(rendered)


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_an_analysis_says_which_model_file_and_software_made_it(rendered, model_path, tmp_path):
    """What a methods section needs, in the analysis itself and kept by its recording: the model file's
    SHA-256 and the versions that tracked and measured. Before, only the variant's name
    ("pose_landmarker_full") and hiprom's version: another download of that name could not be told."""
    import cv2
    from importlib.metadata import version

    rec, from_video = rendered["gt01"]
    _, from_landmarks = analyze_path(rec.save(tmp_path / "gt01.landmarks.npz"), norms=Norms())
    for result in (from_video, from_landmarks):
        assert result["model_sha256"] == file_sha256(model_path)
        assert result["software"] == {"hiprom": result["hiprom_version"], "numpy": np.__version__,
                                      "python": result["software"]["python"], "mediapipe": version("mediapipe"),
                                      "opencv": cv2.__version__}
        assert result["tracking"] == "one pass"  # gt01's 137 frames: too short to split
    older = analyze_recording(LandmarkRecording.load(DEMO), Norms())  # saved before hiprom kept them: unknown
    assert older["model_sha256"] is None and older["tracking"] is None
    assert older["software"]["mediapipe"] is None and older["software"]["numpy"] == np.__version__


def test_an_analysed_recording_names_itself_and_what_it_was_tracked_from(tmp_path):
    """An analysis of p01.landmarks.npz said only "source": "p01.landmarks.npz": which video it was tracked
    from was lost, though the recording keeps it. Now "tracked_from": "p01.mp4" beside it, in the library's
    result and in 'hiprom analyze --json'; a recording analysed under the name it was tracked from has none."""
    import json

    from click.testing import CliRunner

    from hiprom.cli.main import cli

    rot = np.zeros((40, 2))
    saved = seated_recording(rot, fps=10.0, source="p01.mp4").save(tmp_path / "p01.landmarks.npz")
    _, result = analyze_path(saved, norms=Norms())
    out = tmp_path / "p01.json"
    run = CliRunner().invoke(cli, ["analyze", str(saved), "--json", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    for analysis in (result, json.loads(out.read_text(encoding="utf-8"))):
        assert (analysis["source"], analysis["tracked_from"]) == ("p01.landmarks.npz", "p01.mp4")
        assert list(analysis).index("tracked_from") == list(analysis).index("source") + 1
    assert "tracked_from" not in analyze_recording(LandmarkRecording.load(saved), Norms())  # named as tracked


def test_a_recording_without_its_video_is_told_by_its_landmarks(tmp_path):
    """A live test's or an older recording's fingerprint: its landmarks as saved, the same after a save and
    a load, another when one landmark of one frame moves."""
    rec = as_saved(load_or_track(DEMO))
    assert rec.video_sha256 is None
    again = LandmarkRecording.load(rec.save(tmp_path / "again.landmarks.npz"))
    assert analyze_recording(again, Norms())["recording_sha256"] == rec.fingerprint == again.fingerprint
    image = rec.image.copy()
    image[10, 23, 0] += 0.001
    assert dataclasses.replace(rec, image=image).fingerprint != rec.fingerprint


def test_a_long_recording_keeps_the_fingerprint_its_sessions_were_stored_under():
    """The fingerprint of an hour's recording, taken a few thousand frames at a time so as not to copy all
    its landmarks, is still the SHA-256 of its frame times and float32 landmarks end to end: re-analysing
    it finds the sessions already stored from it."""
    import hashlib

    rec = as_saved(load_or_track(DEMO))
    n = 10_000  # more than two blocks
    long = dataclasses.replace(rec, t_ms=np.arange(n) * (1000.0 / 30.0), image=np.resize(rec.image, (n, 33, 4)),
                               world=np.resize(rec.world, (n, 33, 4)), n_people=np.resize(rec.n_people, n))
    whole = (long.t_ms.astype(np.float64).tobytes() + long.image.astype(np.float32).tobytes()
             + long.world.astype(np.float32).tobytes())
    assert long.fingerprint == hashlib.sha256(whole).hexdigest()


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_peak_errors_on_rendered_clips(rendered, rendered_truth, capsys):
    bench = _bench()
    per_clip = {clip: bench.peak_errors(result, rendered_truth[clip]) for clip, (_, result) in rendered.items()}
    with capsys.disabled():
        print("\n" + bench.accuracy_table(per_clip))
    rows = [row for clip_rows in per_clip.values() for row in clip_rows]
    assert len(rows) == 8 and all(row["error_deg"] is not None for row in rows), "every true peak must be measured"
    # Loose bounds: the kernel is tuned against this table; these only catch a broken pipeline.
    assert all(abs(row["error_deg"]) <= 15.0 for row in rows)
    assert bench.mean_abs_error(rows) <= 6.0
    for _, result in rendered.values():
        assert len(result["trials"]) == 4 and all(tr["valid"] for tr in result["trials"])


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_mirrored_grey_figure_at_10_fps_has_every_peak(footage_dir, rendered_truth, model_path, tmp_path):
    # The untextured figure in a selfie view: the tracker's own history kept its left leg misread for
    # the whole first trial (no left internal rotation figure at all) until poorly seen frames were
    # also read from the frame alone.
    import cv2

    truth = rendered_truth["gt06"]
    cap = cv2.VideoCapture(str(footage_dir / "rendered" / truth["file"]))
    out = tmp_path / "gt06-mirror.mp4"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), truth["fps"], (truth["width"], truth["height"]))
    while (frame := cap.read())[0]:
        writer.write(cv2.flip(frame[1], 1))
    writer.release()
    cap.release()
    _, result = analyze_path(out, model=model_path, mirrored=True, norms=Norms())
    rows = _bench().peak_errors(result, truth)
    assert len(rows) == 4 and all(row["error_deg"] is not None for row in rows), rows
    assert all(abs(row["error_deg"]) <= 4.0 for row in rows), rows


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_blurred_grey_figure_farther_away_has_every_peak_with_an_honest_range(footage_dir, rendered_truth, model_path,
                                                                              tmp_path):
    # The untextured figure, blurred and shrunk as by a camera 1.33x farther away: MediaPipe reads both
    # internal rotation holds with straight legs, and so does a still read of the frame as it is. Read
    # with its brightness equalized, every trial gets a figure whose range holds the truth, and the
    # sides (truly equal) are never called different.
    bench = _bench()
    truth = rendered_truth["gt06"]
    blurred = bench.augment_clip(footage_dir / "rendered" / truth["file"], "blur", tmp_path / "blur.mp4")
    clip = bench.augment_clip(blurred, "far", tmp_path / "blur-far.mp4")
    _, result = analyze_path(clip, model=model_path, mirrored=False, norms=Norms())
    rows = bench.peak_errors(result, truth)
    assert len(rows) == 4 and all(row["error_deg"] is not None for row in rows), rows
    assert all(abs(row["error_deg"]) <= 2 * row["unc_deg"] for row in rows), rows
    assert "exceeds" not in result["asymmetry"]["verdicts"].values()


@pytest.mark.footage
@pytest.mark.model
@pytest.mark.slow
def test_grey_figure_in_low_light_at_10_fps_has_every_peak(footage_dir, rendered_truth, model_path, tmp_path):
    # The untextured figure in a dark, noisy room (half the light, sensor noise of 10 grey levels): the
    # tracker found it in 30 % of the frames and no trial had a figure ("left leg hard to see"). A frame of
    # a slow source where nobody who could be the subject was found is now read alone, smoothed and
    # equalized, and the subject follower decides whether that pose is the subject.
    bench = _bench()
    truth = rendered_truth["gt06"]
    clip = bench.augment_clip(footage_dir / "rendered" / truth["file"], "lowlight", tmp_path / "lowlight.mp4")
    _, result = analyze_path(clip, model=model_path, mirrored=False, norms=Norms())
    rows = bench.peak_errors(result, truth)
    assert len(rows) == 4 and all(row["error_deg"] is not None for row in rows), rows
    assert all(abs(row["error_deg"]) <= 4.0 for row in rows), rows


@pytest.mark.parametrize("yaw_deg", [-25.0, 25.0])
@pytest.mark.parametrize("height_m", [0.5, 1.25])
@pytest.mark.parametrize("distance_m", [1.6, 3.0])
def test_exact_landmarks_hold_their_peaks_wherever_the_laptop_stands(yaw_deg, height_m, distance_m):
    # The corners of the placements accuracy is validated for (issue 10): a camera up to 25 deg to
    # either side, from below the hips to a desk looking down, near and far. With exact landmarks of
    # a body proportioned as the yaw estimate assumes, only the geometry can err: 1.7 deg at worst
    # (a desk camera 1.6 m away looks down on the shanks, whose perspective the method leaves in).
    from hiprom.kinematics.camera import KNEE_TO_SHOULDER_PER_SHANK
    from hiprom.synthetic import Body, Camera, body_with_knee_to_shoulder

    trials = [Trial("right", "internal", 38), Trial("right", "external", 30),
              Trial("left", "internal", 32), Trial("left", "external", 27)]
    _, rot = protocol(trials)
    body = body_with_knee_to_shoulder(KNEE_TO_SHOULDER_PER_SHANK, Body(hip_half_width_m=0.13, knee_half_width_m=0.14))
    camera = Camera(yaw_deg=yaw_deg, height_m=height_m, distance_m=distance_m)
    result = analyze_recording(seated_recording(rot, camera=camera, body=body), norms=Norms())
    for trial in trials:
        measured = result["sides"][trial.side][f"{trial.direction}_rotation_deg"]
        assert measured == pytest.approx(trial.peak_deg, abs=2.0), (trial, measured)
    assert result["camera"]["yaw_deg"] == pytest.approx(yaw_deg, abs=2.0)
