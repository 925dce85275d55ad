"""Output files, resume markers and summary rows of single inputs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from hiprom.assessment import Norms
from hiprom.batch import COLUMNS, BatchOptions, OutputPaths, SummaryRow, discover, read_summary, write_summary
from hiprom.batch.outputs import finished_row, input_fingerprint, remove_stale_parts, write_outputs
from hiprom.pipeline import analyze_path
from hiprom.batch.summary import write_trials
from hiprom.report.figures import SUMMARY_COLUMNS, TRIAL_FIELDS, rnd


@pytest.fixture
def done(recordings: Path, tmp_path: Path):
    """One recording analysed and written: (job, out_dir, options, row)."""
    job = next(j for j in discover([recordings]) if j.rel == "a.landmarks.npz")
    out = tmp_path / "out"
    options = BatchOptions.create()
    rec, analysis = analyze_path(job.path)
    row = write_outputs(job, out, options, input_fingerprint(job.path), rec, analysis)
    return job, out, options, row, analysis


def test_row_copies_the_analysis_figures(done) -> None:
    job, _, _, row, analysis = done
    assert row.status == "ok" and row.file == "a.landmarks.npz" and row.analysis == "a.analysis.json"
    assert row.frames == analysis["frames"]
    for side in ("left", "right"):
        s = analysis["sides"][side]
        for key in ("internal_rotation_deg", "internal_rotation_unc_deg", "internal_rotation_band",
                    "external_rotation_deg", "external_rotation_unc_deg", "total_arc_deg"):
            assert row.figures[f"{side}_{key}"] == (rnd(s[key]) if isinstance(s[key], float) else s[key])
    asym = analysis["asymmetry"]
    assert row.figures["asymmetry_internal_rotation_deg"] == rnd(asym["internal_rotation_deg"])
    for measure, verdict in asym["verdicts"].items():
        assert row.figures[f"asymmetry_{measure}_verdict"] == verdict
    assert row.figures["asymmetry_flagged"] == asym["flagged"]
    assert row.figures["verdict"] == analysis["verdict"]


def test_batch_summary_has_the_columns_of_the_clinic_export(done, store, tmp_path: Path) -> None:
    """A researcher's summary.csv and a clinic's summary export name and round every figure alike."""
    from hiprom.report import ReportData, csv_text

    _, _, _, row, analysis = done
    record = store.save_analysis(analysis, subject="P-1")
    exported = next(csv.DictReader(io.StringIO(csv_text([ReportData.from_store(store, record.id)], "summary"))))
    batch = read_summary(write_summary(tmp_path / "summary.csv", [row]))[0]
    assert set(SUMMARY_COLUMNS) <= set(batch) & set(exported)
    assert {k: batch[k] for k in SUMMARY_COLUMNS} == {k: exported[k] for k in SUMMARY_COLUMNS}
    assert batch["asymmetry_total_arc_verdict"] in {"within", "exceeds", "inconclusive"}
    assert batch["left_internal_rotation_unc_deg"] != ""
    # The recording's fingerprint, to join a batch's rows with stored sessions and tell a re-analysis from a
    # re-test: before, summary.csv had no such column.
    assert len(analysis["recording_sha256"]) == 64
    assert batch["recording_sha256"] == exported["recording_sha256"] == analysis["recording_sha256"] == \
        store.session(record.id).recording_sha256


def test_the_series_file_starts_with_the_byte_order_mark_as_analyze_writes_it(done, tmp_path: Path) -> None:
    """STEM.series.csv, as every CSV file hiprom writes, starts with the mark Excel reads as UTF-8 (it had
    none), and is byte for byte the file `hiprom analyze --csv` writes."""
    from hiprom.assessment import series_csv_file
    from hiprom.tables import EXCEL_BOM

    _, out, _, _, analysis = done
    text = (out / "a.series.csv").read_text(encoding="utf-8")
    assert text.startswith(EXCEL_BOM + "t_s,left_deg,") and text == series_csv_file(analysis)


def test_finished_input_is_skipped_with_its_row(done) -> None:
    job, out, options, row, _ = done
    skipped = finished_row(job, out, options)
    assert skipped is not None and skipped.status == "skipped"
    assert {**skipped.as_dict(), "status": "ok"} == row.as_dict()


def test_batch_trials_have_the_columns_of_the_clinic_export(done, store, tmp_path: Path) -> None:
    """trials.csv: every trial of every input, named and rounded as the clinic's trials export."""
    from hiprom.report import ReportData, csv_text

    job, out, options, row, analysis = done
    record = store.save_analysis(analysis, subject="P-1")
    exported = list(csv.DictReader(io.StringIO(csv_text([ReportData.from_store(store, record.id)], "trials"))))
    path = write_trials(tmp_path / "trials.csv", [row, SummaryRow.failed("bad.mp4", "not a video")])
    with open(path, newline="", encoding="utf-8-sig") as fh:
        batch = list(csv.DictReader(fh))
    assert len(batch) == len(analysis["trials"]) > 0 and {b["file"] for b in batch} == {row.file}
    shared = ("trial", *TRIAL_FIELDS)
    assert [{k: b[k] for k in shared} for b in batch] == [{k: e[k] for k in shared} for e in exported]
    assert finished_row(job, out, options).trials == row.trials  # a resumed batch lists them too


def test_marker_of_the_previous_summary_columns_is_still_done(done) -> None:
    """A batch of thousands made before the summary took the export's columns is not tracked again."""
    job, out, options, row, _ = done
    paths = OutputPaths.of(out, job.stem)
    marker = json.loads(paths.marker.read_text())
    marker["row"] = {"file": job.rel, "status": "ok", "left_ir_deg": 30.1, "flagged": False, "notes": ""}
    paths.marker.write_text(json.dumps(marker))
    skipped = finished_row(job, out, options)
    assert skipped is not None and skipped.figures == row.figures


@pytest.mark.parametrize(
    "change",
    ["touch_input", "grow_input", "drop_output", "truncate_output", "corrupt_marker", "other_norms", "mirrored",
     "one_digit_of_analysis", "one_byte_of_landmarks", "old_size_only_marker"],
)
def test_anything_changed_means_not_done(done, change: str) -> None:
    job, out, options, _, _ = done
    paths = OutputPaths.of(out, job.stem)
    if change == "touch_input":
        st = job.path.stat()
        os.utime(job.path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    elif change == "grow_input":
        with open(job.path, "ab") as fh:
            fh.write(b"\0")
    elif change == "drop_output":
        paths.landmarks.unlink()
    elif change == "truncate_output":
        paths.analysis.write_text("{}")
    elif change == "corrupt_marker":
        paths.marker.write_text("{not json")
    elif change == "one_digit_of_analysis":  # same size, same mtime: only the content differs
        _same_size_edit(paths.analysis, lambda data: _bump_a_digit(data, b'"internal_rotation_deg": '))
    elif change == "one_byte_of_landmarks":
        _same_size_edit(paths.landmarks, lambda data: data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif change == "old_size_only_marker":  # a marker of an older hiprom: sizes, no hashes
        marker = json.loads(paths.marker.read_text())
        marker["format"] = "hiprom.batch-done/1"
        marker["outputs"] = {name: o["size"] for name, o in marker["outputs"].items()}
        paths.marker.write_text(json.dumps(marker))
    elif change == "other_norms":
        options = BatchOptions.create(norms=Norms(asymmetry_threshold_deg=5.0))
    elif change == "mirrored":
        options = BatchOptions.create(mirrored=True)
    assert finished_row(job, out, options) is None


def _same_size_edit(path: Path, edit) -> None:
    st = path.stat()
    data = path.read_bytes()
    changed = edit(data)
    assert len(changed) == len(data) and changed != data
    path.write_bytes(changed)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _bump_a_digit(data: bytes, after: bytes) -> bytes:
    i = data.index(after) + len(after)
    while not data[i:i + 1].isdigit():
        i += 1
    digit = (int(data[i:i + 1]) + 1) % 10
    return data[:i] + str(digit).encode() + data[i + 1:]


def test_same_size_edit_of_an_output_is_redone_and_summary_agrees(recordings: Path, tmp_path: Path) -> None:
    """Issue 12 #4: edit one digit of an analysis.json; the rerun redoes it and summary.csv matches it again."""
    from hiprom.batch import run_batch

    out = tmp_path / "out"
    run_batch([recordings], out, workers=1, progress=False)
    analysis = out / "a.analysis.json"
    original = json.loads(analysis.read_text())["sides"]["left"]["internal_rotation_deg"]
    _same_size_edit(analysis, lambda data: _bump_a_digit(data, b'"internal_rotation_deg": '))
    again = run_batch([recordings], out, workers=1, progress=False)
    status = {r.file: r.status for r in again.rows}
    assert status["a.landmarks.npz"] == "ok" and status["b.landmarks.npz"] == "skipped"
    assert json.loads(analysis.read_text())["sides"]["left"]["internal_rotation_deg"] == original
    row = next(r for r in read_summary(again.summary_path) if r["file"] == "a.landmarks.npz")
    assert float(row["left_internal_rotation_deg"]) == rnd(original)


def test_recordings_do_not_depend_on_the_model_setting(done, tmp_path: Path) -> None:
    job, out, _, _, _ = done
    model = tmp_path / "m.task"
    model.write_bytes(b"1234")
    assert finished_row(job, out, BatchOptions.create(model=model)) is not None


def test_stale_temporary_files_are_removed(done) -> None:
    job, out, _, _, _ = done
    stale = out / ".a.analysis.json.x1y2.part"
    stale.write_text("half")
    other = out / ".b.analysis.json.x1y2.part"
    other.write_text("another input's")
    remove_stale_parts(out, [job.stem])
    assert not stale.exists() and other.exists()


def test_stale_temporary_files_of_thousands_of_inputs_take_one_look_at_their_folder(tmp_path: Path,
                                                                                     monkeypatch) -> None:
    """Listing the folder once per input made a batch quadratic: 115 ms per input among 2,000 inputs' outputs."""
    import os

    out = tmp_path / "out"
    out.mkdir()
    stems = [f"r{i:04d}" for i in range(2000)]
    for stem in stems[:1000]:  # done by an earlier run
        for path in OutputPaths.of(out, stem).files:
            path.touch()
    stale = [out / ".r1500.analysis.json.k2x_9qzt.part", out / ".r1500.landmarks.npz.abcdefgh.part"]
    kept = [out / ".notours.analysis.json.k2x_9qzt.part", out / "r1500.analysis.json.k2x_9qzt.part"]
    for path in (*stale, *kept):
        path.write_text("half")
    listings = []
    scandir = os.scandir
    monkeypatch.setattr(os, "scandir", lambda path=".": listings.append(path) or scandir(path))
    remove_stale_parts(out, stems[1000:])
    assert len(listings) == 1
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def test_marker_is_plain_json_naming_the_input(done) -> None:
    job, out, _, _, _ = done
    marker = json.loads(OutputPaths.of(out, job.stem).marker.read_text())
    assert marker["format"] == "hiprom.batch-done/2"
    assert marker["input"]["file"] == "a.landmarks.npz"
    assert set(marker["outputs"]) == {"a.landmarks.npz", "a.series.csv", "a.analysis.json"}
    analysis = OutputPaths.of(out, job.stem).analysis
    assert marker["outputs"]["a.analysis.json"] == {
        "size": analysis.stat().st_size, "sha256": hashlib.sha256(analysis.read_bytes()).hexdigest()}


def test_summary_csv_round_trip(tmp_path: Path) -> None:
    rows = [
        SummaryRow(file="a.mp4", status="ok", figures={"frames": 10, "left_internal_rotation_deg": 31.5,
                                                       "asymmetry_internal_rotation_verdict": "exceeds",
                                                       "asymmetry_flagged_measures": ["internal_rotation"]}),
        SummaryRow.failed("b.mp4", "b.mp4: is empty\n(0 bytes)"),
    ]
    path = write_summary(tmp_path / "summary.csv", rows)
    got = read_summary(path)
    assert list(got[0]) == list(COLUMNS)
    assert got[0]["left_internal_rotation_deg"] == "31.5" and got[0]["right_internal_rotation_deg"] == ""
    assert got[0]["asymmetry_internal_rotation_verdict"] == "exceeds"
    assert got[0]["asymmetry_flagged_measures"] == "internal_rotation"
    assert got[1]["status"] == "failed" and got[1]["error"] == "b.mp4: is empty (0 bytes)"


def test_status_is_checked() -> None:
    with pytest.raises(ValueError, match="status must be one of"):
        SummaryRow(file="a", status="done")  # type: ignore[arg-type]


def test_a_failed_write_leaves_none_of_the_inputs_outputs(recordings: Path, tmp_path: Path, monkeypatch) -> None:
    """A full disk at the analysis file: the recording and series already written go too (no orphans)."""
    import errno

    import hiprom.batch.outputs as outputs
    from hiprom.atomic import output_error
    from hiprom.errors import OutputError

    real = outputs.atomic_write

    def full_at_analysis(path, mode="wb"):
        if str(path).endswith(".analysis.json"):
            raise output_error(path, OSError(errno.ENOSPC, "No space left on device"))
        return real(path, mode)

    monkeypatch.setattr(outputs, "atomic_write", full_at_analysis)
    job = next(j for j in discover([recordings]) if j.rel == "a.landmarks.npz")
    out = tmp_path / "out"
    rec, analysis = analyze_path(job.path)
    with pytest.raises(OutputError, match="No space left"):
        write_outputs(job, out, BatchOptions.create(), input_fingerprint(job.path), rec, analysis)
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_a_video_is_done_with_the_same_model_file_and_redone_with_another_of_its_name_and_size(
        done, tmp_path: Path) -> None:
    """The marker records the model file's hash: before, its name and size only, so another bundle of the
    official name and size (another version, re-packed) counted as the same model."""
    from hiprom.batch import Job
    from hiprom.pose.models import model_id

    _, _, _, _, analysis = done
    rec = analyze_path(done[0].path)[0]
    models = {}
    for name, content in (("a", b"model one"), ("b", b"model two"), ("copy", b"model one")):
        (tmp_path / name).mkdir()
        models[name] = tmp_path / name / "pose_landmarker_full.task"
        models[name].write_bytes(content)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"a video")
    job, out = Job(path=video, rel="clip.mp4", stem="clip"), tmp_path / "out-video"
    options = BatchOptions.create(model=models["a"])
    write_outputs(job, out, options, input_fingerprint(video), rec, analysis, model_id(models["a"]))
    assert finished_row(job, out, BatchOptions.create(model=models["copy"])) is not None  # the same bytes elsewhere
    assert finished_row(job, out, BatchOptions.create(model=models["b"])) is None  # same name and size, other bytes
    marker = OutputPaths.of(out, job.stem).marker
    before = json.loads(marker.read_text())
    before["settings"]["model"] = f"pose_landmarker_full.task:{len(b'model one')}"  # as written before the hash
    marker.write_text(json.dumps(before))
    assert finished_row(job, out, options) is not None  # an upgrade redoes nothing
