"""The local process pool: outputs, bad inputs, crashes, resume, interruption.

These use synthetic recordings (the real pipeline, no pose model) and the
stand-in analyser of ``fakes.py`` for inputs that crash, raise or are slow.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from hiprom import __version__
from hiprom.batch import OutputPaths, read_summary, run_batch
from hiprom.batch.local import CRASH_MESSAGE, threads_per_worker
from hiprom.errors import OutputPlaceError
from hiprom.pipeline import analyze_path
from hiprom.report.figures import rnd
from hiprom.tables import EXCEL_BOM

from .conftest import FAKE_ANALYZER, python_subprocess, rewrite_analysis
from .fakes import make_recordings, stand_in


ALL = ["a.landmarks.npz", "b.landmarks.npz", "x/c.landmarks.npz", "y/c.landmarks.npz"]  # the `recordings` fixture


def _run(inputs, out, **kw):
    kw.setdefault("analyzer", FAKE_ANALYZER)
    kw.setdefault("progress", False)
    kw.setdefault("workers", 1)  # parallelism is not the point of most tests; spawning costs
    return run_batch(inputs if isinstance(inputs, list) else [inputs], out, **kw)


def _status(result) -> dict[str, str]:
    return {r.file: r.status for r in result.rows}


def test_outputs_match_the_single_file_pipeline(recordings: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(recordings, out, workers=2)
    assert _status(result) == dict.fromkeys(ALL, "ok")
    assert not result.interrupted and not result.failed
    for row in result.rows:
        stem = row.file.removesuffix(".landmarks.npz")
        paths = OutputPaths.of(out, stem)
        assert all(p.is_file() for p in (*paths.data, paths.marker))
        written = json.loads(paths.analysis.read_text())
        _, expected = analyze_path(recordings / row.file)
        for a in (written, expected):
            a.pop("created_utc", None)
        assert written == expected
        assert row.figures["left_internal_rotation_deg"] == rnd(expected["sides"]["left"]["internal_rotation_deg"])
        assert row.figures["asymmetry_total_arc_deg"] == rnd(expected["asymmetry"]["total_arc_deg"])
        header = paths.series.read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith(EXCEL_BOM + "t_s,")  # as analyze writes it: Excel reads it as UTF-8
    summary = read_summary(out / "summary.csv")
    assert [r["file"] for r in summary] == [r.file for r in result.rows]
    assert {r["status"] for r in summary} == {"ok"}
    trials = read_summary(out / "trials.csv")  # one row per trial, inputs in the summary's order
    assert [t["file"] for t in trials] == [r.file for r in result.rows for _ in r.trials] and trials
    assert not list(out.rglob("*.part"))


def test_bad_inputs_fail_alone_with_a_reason(recordings: Path, tmp_path: Path) -> None:
    (recordings / "text.mp4").write_text("not a video\n")
    (recordings / "broken.landmarks.npz").write_bytes(b"PK\x03\x04 truncated")
    stand_in(recordings / "bug_boom.mp4", b"x")
    stand_in(recordings / "seg_crash.mp4", b"x")
    result = _run(recordings, tmp_path / "out")
    rows = {r.file: r for r in result.rows}
    assert {f for f, r in rows.items() if r.status == "ok"} == set(ALL)
    assert "not a readable video" in rows["text.mp4"].error
    assert "not a readable landmarks recording" in rows["broken.landmarks.npz"].error
    assert rows["bug_boom.mp4"].error.startswith("internal error (RuntimeError")
    assert rows["seg_crash.mp4"].error == CRASH_MESSAGE
    assert not OutputPaths.of(tmp_path / "out", "text").marker.exists()


def test_each_worker_uses_its_share_of_the_cores(tmp_path: Path) -> None:
    """Two workers do not each start a BLAS pool per core (oversubscription on a many-core machine)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a_threads.mp4", "b_threads.mp4"):
        stand_in(inputs / name, b"x")
    result = run_batch([inputs], tmp_path / "out", workers=2, progress=False, analyzer=FAKE_ANALYZER)
    assert [row.error for row in result.rows] == [f"BLAS threads: {threads_per_worker(2)}"] * 2


def test_second_run_skips_what_is_done_and_redoes_what_changed(recordings: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(recordings, out)
    # One input changed, one output lost, one input new.
    make_recordings(recordings, ["a.landmarks.npz", "new.landmarks.npz"], seed=1)
    OutputPaths.of(out, "x/c").series.unlink()
    again = _run(recordings, out)
    assert _status(again) == {"a.landmarks.npz": "ok", "b.landmarks.npz": "skipped", "new.landmarks.npz": "ok",
                              "x/c.landmarks.npz": "ok", "y/c.landmarks.npz": "skipped"}
    skipped = next(r for r in again.rows if r.file == "b.landmarks.npz")
    assert skipped.figures["left_internal_rotation_deg"] is not None  # figures carried over
    assert {r.status for r in _run(recordings, out).rows} == {"skipped"}
    assert {r.status for r in _run(recordings, out, redo=True).rows} == {"ok"}


def test_a_run_by_a_newer_hiprom_keeps_and_says_the_figures_of_the_older(recordings: Path, tmp_path: Path,
                                                                        capsys) -> None:
    """Outputs an earlier hiprom wrote (today's main: no model_sha256 or software in the analysis) are
    still done; their rows say which version made them, and one line says they were kept and how to
    redo them. Before, summary.csv had no version column and nothing was said: a study mixed two
    versions' figures without a word."""
    out = tmp_path / "out"
    _run(recordings, out)
    paths = OutputPaths.of(out, "b")
    def older(analysis: dict) -> None:
        for key in ("model_sha256", "software"):
            analysis.pop(key)
        analysis["hiprom_version"] = "0.0.9"

    rewrite_analysis(paths, older)
    capsys.readouterr()

    again = _run(recordings, out)
    assert {r.status for r in again.rows} == {"skipped"}
    rows = {r["file"]: r for r in read_summary(out / "summary.csv")}
    assert rows["b.landmarks.npz"]["hiprom_version"] == "0.0.9"
    assert rows["a.landmarks.npz"]["hiprom_version"] == __version__
    assert (f"hiprom: 1 input kept as an earlier hiprom analysed it (1 by 0.0.9; this is {__version__}): the "
            "figures are that version's (summary.csv column hiprom_version); to analyse every input with this "
            "one, run again with --redo") in capsys.readouterr().err
    redone = _run(recordings, out, redo=True)
    assert {r.figures["hiprom_version"] for r in redone.rows} == {__version__}
    assert "kept as an earlier hiprom" not in capsys.readouterr().err


def test_adding_a_folder_to_a_batch_keeps_what_was_done(tmp_path: Path) -> None:
    """Output names follow the inputs' common folder: adding ``site2`` to a batch of ``site1`` renamed
    every output and analysed all of ``site1`` again (hours, for thousands of videos)."""
    make_recordings(tmp_path / "data" / "site1", ["a.landmarks.npz", "x/c.landmarks.npz"])
    make_recordings(tmp_path / "data" / "site2", ["a.landmarks.npz"], seed=1)  # another person
    out = tmp_path / "out"
    first = _run(tmp_path / "data" / "site1", out)
    figures = {r.file: r.figures for r in first.rows}
    both = _run([tmp_path / "data" / "site1", tmp_path / "data" / "site2"], out)
    assert _status(both) == {"site1/a.landmarks.npz": "skipped", "site1/x/c.landmarks.npz": "skipped",
                             "site2/a.landmarks.npz": "ok"}
    assert {r.file: r.figures for r in both.rows if r.file.startswith("site1/")} == {
        f"site1/{k}": v for k, v in figures.items()}
    assert OutputPaths.of(out, "site1/x/c").analysis.is_file()
    assert not (out / "a.analysis.json").exists() and not (out / "x").exists()  # moved, not copied
    # and back to the one folder: its outputs move back rather than being made again
    assert {r.status for r in _run(tmp_path / "data" / "site1", out).rows} == {"skipped"}
    assert OutputPaths.of(out, "x/c").analysis.is_file()
    assert {r.status for r in _run([tmp_path / "data" / "site1", tmp_path / "data" / "site2"], out).rows} == {"skipped"}


def test_changed_settings_redo_everything(recordings: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(recordings, out)
    norms = tmp_path / "norms.toml"
    norms.write_text("asymmetry_threshold_deg = 5.0\n")
    result = _run(recordings, out, norms=norms)
    assert {r.status for r in result.rows} == {"ok"}
    assert {r.status for r in _run(recordings, out, norms=norms).rows} == {"skipped"}


def test_a_crash_among_several_workers_names_only_the_culprit(recordings: Path, tmp_path: Path) -> None:
    stand_in(recordings / "s1_slow.mp4", b"x")
    stand_in(recordings / "z_crash.mp4", b"x")
    result = _run(recordings, tmp_path / "out", workers=2)
    status = _status(result)
    assert status.pop("z_crash.mp4") == "failed"
    assert set(status.values()) == {"ok"}


_SCRIPT = textwrap.dedent("""
    import sys
    from hiprom.batch import run_batch
    if __name__ == "__main__":
        r = run_batch([sys.argv[1]], sys.argv[2], workers=1, progress=False, analyzer=sys.argv[3])
        sys.exit(128 + r.stop_signal if r.stop_signal else 130 if r.interrupted else (1 if r.failed else 0))
""")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL],
                         ids=["ctrl-c", "term", "hangup", "kill"])
def test_interrupted_batch_continues_where_it_stopped(tmp_path: Path, sig: signal.Signals) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    names = [f"{i}_slow.mp4" for i in range(4)]
    for name in names:
        stand_in(inputs / name, b"x")
    out = tmp_path / "out"
    script = tmp_path / "run.py"
    script.write_text(_SCRIPT)
    proc = python_subprocess([str(script), str(inputs), str(out), FAKE_ANALYZER], tmp_path)
    deadline = time.monotonic() + 60
    while not list(out.glob("*.done.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    done_first = {p.name.removesuffix(".done.json") + ".mp4" for p in out.glob("*.done.json")}
    assert 1 <= len(done_first) < len(names), err
    if sig != signal.SIGKILL:  # SIGTERM (a job scheduler), SIGHUP (ssh closed): a Ctrl-C, exit code 128 + signal
        assert proc.returncode == (130 if sig == signal.SIGINT else 128 + sig), err
        summary = {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}
        assert {f for f, s in summary.items() if s == "ok"} == done_first
        assert {f for f, s in summary.items() if s == "interrupted"} == set(names) - done_first
    again = _run(inputs, out, workers=2)
    assert {r.file for r in again.rows if r.status == "skipped"} == done_first
    assert {r.file for r in again.rows if r.status == "ok"} == set(names) - done_first
    assert not list(out.rglob("*.part"))


def test_the_largest_video_is_analysed_first_and_the_summary_keeps_discovery_order(tmp_path: Path) -> None:
    """A long video found last would keep one worker busy alone at the end of the batch."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    sizes = {"a_slow.mp4": 10, "b_slow.mp4": 3000, "c_slow.mp4": 200}
    for name, size in sizes.items():
        (inputs / name).write_bytes(b"x" * size)
    make_recordings(inputs, ["d.landmarks.npz"])  # the largest file of all, but a recording needs no pose model
    out = tmp_path / "out"
    result = _run(inputs, out)
    assert [row.file for row in result.rows] == [*sizes, "d.landmarks.npz"]
    assert _status(result) == dict.fromkeys([*sizes, "d.landmarks.npz"], "ok")
    def finished_at(row) -> int:
        return OutputPaths.of(out, row.file.split(".")[0]).marker.stat().st_mtime_ns

    finished = sorted(result.rows, key=finished_at)
    assert [row.file for row in finished] == ["b_slow.mp4", "c_slow.mp4", "a_slow.mp4", "d.landmarks.npz"]


def test_a_file_name_that_is_not_utf8_fails_alone_and_the_summary_is_still_written(
        recordings: Path, tmp_path: Path, model_path: Path) -> None:
    """A Latin-1 name from another system: OpenCV crashed on it, and the summary could not be written."""
    odd = os.fsdecode(b"caf\xe9")  # 'caf\udce9' in Python
    stand_in(recordings / f"{odd}.mp4", b"x")
    os.replace(recordings / "a.landmarks.npz", recordings / f"{odd}.landmarks.npz")  # renamed, not copied
    out = tmp_path / "out"
    result = _run(recordings, out, analyzer="hiprom.pipeline:analyze_path", model=str(model_path))
    summary = {r["file"]: r for r in read_summary(result.summary_path)}  # valid UTF-8
    video, rec = summary["caf\\xe9.mp4"], summary["caf\\xe9.landmarks.npz"]
    # the name is in its own column (the terminal's line: "failed caf\xe9.mp4: the file name is not UTF-8 text …")
    assert video["status"] == "failed" and video["error"].startswith("the file name is not UTF-8 text")
    assert "rename the file" in video["error"]
    assert rec["status"] == "ok"
    assert json.loads((out / rec["analysis"]).read_text(encoding="utf-8"))["source"] == "caf\\xe9.landmarks.npz"
    again = _run(recordings, out, analyzer="hiprom.pipeline:analyze_path", model=str(model_path))
    assert _status(again)[f"{odd}.landmarks.npz"] == "skipped"


def test_a_full_disk_stops_the_batch_at_once_with_exit_code_6(recordings: Path, tmp_path: Path) -> None:
    """Not every remaining input analysed for nothing and reported 'failed' (exit 1): one line, and resumable."""
    stand_in(recordings / "0_full.mp4", b"x")  # the only video: analysed first, then the disk is full
    out = tmp_path / "out"
    with pytest.raises(OutputPlaceError, match=r"0_full.landmarks.npz: cannot write \(No space left on device\)") as err:
        _run(recordings, out)
    assert err.value.exit_code == 6
    summary = {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}
    assert summary == dict.fromkeys(["0_full.mp4", *ALL], "interrupted")
    assert not [p for p in out.rglob("*") if p.suffix in (".json", ".npz") or p.name.endswith(".part")]
    (recordings / "0_full.mp4").unlink()  # (it would fill the disk again)
    again = _run(recordings, out)  # space freed: the batch finishes
    assert _status(again) == dict.fromkeys(ALL, "ok")


def test_names_near_the_file_system_limit(tmp_path: Path) -> None:
    """A 240-byte name failed: its temporary file ``.NAME.XXXXXXXX.part`` was longer than 255 bytes."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    fits, too_long = "slow" + "x" * 232 + ".mp4", "slow" + "y" * 247 + ".mp4"  # 240 and 255 bytes
    for name in (fits, too_long):
        stand_in(inputs / name, b"x")
    result = _run(inputs, tmp_path / "out")
    rows = {r.file: r for r in result.rows}
    assert rows[fits].status == "ok"
    assert rows[too_long].status == "failed"  # its outputs (NAME.landmarks.npz) cannot have such a name
    assert rows[too_long].error.endswith("cannot write (File name too long); "
                                         "the name is longer than the file system allows; use a shorter name")
    assert not list((tmp_path / "out").rglob("*.part"))


def test_a_model_mediapipe_cannot_load_stops_the_batch_at_once_with_exit_code_3(tmp_path: Path, capsys) -> None:
    """Every worker shares this machine's model: before, each video 'failed' in turn with the same
    'MediaPipe could not load this model' (8 of 8, exit 1); now one line, exit 3, and resumable.
    The counts come first, as after Ctrl-C: before, a batch stopped part way (this, a full disk, the
    Dask scheduler lost after 900 of 1,000 inputs) said only why, not how much was done."""
    import zipfile

    import cv2
    import numpy as np

    from hiprom.cli.main import main

    model = tmp_path / "pose_landmarker_full.task"
    with zipfile.ZipFile(model, "w") as bundle:  # a well-formed bundle whose networks are not networks
        for name in ("pose_detector.tflite", "pose_landmarks_detector.tflite"):
            bundle.writestr(name, b"\x00" * 4096)
    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(3):
        writer = cv2.VideoWriter(str(inputs / f"v{i}.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (160, 120))
        for _ in range(3):
            writer.write(np.full((120, 160, 3), 40 * i, np.uint8))  # three videos, not copies of one
        writer.release()
    out = tmp_path / "out"
    code = main(["batch", str(inputs), "-o", str(out), "--model", str(model), "--workers", "1", "--no-progress"])
    err = capsys.readouterr().err.splitlines()
    assert code == 3, err
    assert err[-2:] == [f"3 inputs: 0 ok, 0 already done, 0 failed, 3 not finished -> {out / 'summary.csv'}",
                        err[-1]], err
    assert err[-1].startswith("hiprom: error: ") and "MediaPipe could not load this model" in err[-1], err
    assert {r["status"] for r in read_summary(out / "summary.csv")} == {"interrupted"}


def test_the_file_column_gives_back_each_input_name_for_a_join(tmp_path: Path) -> None:
    """A researcher joins summary.csv with their own table of file names (pandas ``merge`` on ``file``). A name a
    spreadsheet would run as a formula is written with a ``'`` in front; before, a file that starts with ``'`` kept
    its name, so ``'=1+1.landmarks.npz`` and ``=1+1.landmarks.npz`` had the same ``file``: removing the ``'``
    joined the one person's figures to the other's name. Now one ``'`` less is always the name."""
    import csv

    from hiprom.tables import plain

    names = ["=1+1.landmarks.npz", "'=1+1.landmarks.npz", "-take2.landmarks.npz", "p01.landmarks.npz"]
    make_recordings(tmp_path / "in", names)
    result = _run(tmp_path / "in", tmp_path / "out")
    for table in (result.summary_path, tmp_path / "out" / "trials.csv"):
        with open(table, newline="", encoding="utf-8-sig") as fh:
            written = {row["file"] for row in csv.DictReader(fh)}
        assert written == {"'=1+1.landmarks.npz", "''=1+1.landmarks.npz", "'-take2.landmarks.npz",
                           "p01.landmarks.npz"}  # none runs as a formula in a spreadsheet
        assert {plain(f) for f in written} == set(names)
    assert [r["file"] for r in read_summary(result.summary_path)] == [r.file for r in result.rows]


def test_inputs_an_earlier_run_finished_and_analysed_again_are_said_before_the_work(
        recordings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder hiprom 0.1 finished (markers of format 1: output sizes, no hashes) was analysed again
    from the start without a word ("4 ok, 0 already done", its outputs replaced). Now one line says
    how many and why, before the work, and how to keep them; those this version finished (x/c, y/c) are not counted."""
    out = tmp_path / "out"
    _run(recordings, out)
    old = OutputPaths.of(out, "a").marker  # as hiprom 0.1 wrote it
    marker = json.loads(old.read_text())
    marker["format"] = "hiprom.batch-done/1"
    marker["outputs"] = {name: o["size"] for name, o in marker["outputs"].items()}
    old.write_text(json.dumps(marker))
    st = (recordings / "b.landmarks.npz").stat()  # an input edited since
    os.utime(recordings / "b.landmarks.npz", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    result = _run(recordings, out)
    assert _status(result) == {**dict.fromkeys(ALL, "skipped"), "a.landmarks.npz": "ok", "b.landmarks.npz": "ok"}
    notes = [line for line in capsys.readouterr().err.splitlines() if "analysing again" in line]
    assert notes == [f"hiprom: analysing again 2 inputs an earlier run finished (1 finished by an older hiprom, "
                     f"whose results are not reused; 1 whose input, settings or outputs changed since): their "
                     f"outputs in {out} are replaced; to keep them, stop now (Ctrl-C) and choose another -o"]


def test_a_skipped_video_names_its_model_file_as_its_marker_does(tmp_path: Path, model_path: Path) -> None:
    """A video an earlier run (an older hiprom: no model_sha256 in its analysis) analysed is skipped with
    its summary.csv model_sha256 cell empty, though its done-marker records the model file's hash."""
    from hiprom.pose.models import model_id
    from hiprom.recording import file_sha256

    folder = tmp_path / "in"
    folder.mkdir()
    stand_in(folder / "a_slow.mp4", b"x")
    out = tmp_path / "out"
    assert _status(_run(folder, out)) == {"a_slow.mp4": "ok"}
    paths = OutputPaths.of(out, "a_slow")
    assert json.loads(paths.analysis.read_text())["model_sha256"] is None  # as an older hiprom's
    marker = json.loads(paths.marker.read_text(encoding="utf-8"))
    marker["settings"]["model"] = model_id(model_path)  # as the real analyser's run records a video's
    paths.marker.write_text(json.dumps(marker), encoding="utf-8")

    assert _status(_run(folder, out)) == {"a_slow.mp4": "skipped"}
    row = read_summary(out / "summary.csv")[0]
    assert row["model_sha256"] == file_sha256(model_path)  # was ""
