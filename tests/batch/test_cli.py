"""``hiprom batch``: exit codes and messages (recordings only: no pose model needed)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hiprom.batch import read_summary
from hiprom.cli.main import main

from .fakes import make_recordings, stand_in


def _batch(capsys, *args: str) -> tuple[int, str]:
    code = main(["batch", *args])
    return code, capsys.readouterr().err


def test_all_ok_exits_0_and_reports_counts(recordings: Path, tmp_path: Path, capsys) -> None:
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "2")
    assert code == 0, err
    assert "4 inputs: 4 ok, 0 already done, 0 failed" in err
    # The verdicts of summary.csv, counted: what a researcher reads first of a thousand inputs.
    rows = read_summary(tmp_path / "out" / "summary.csv")
    overall = [next((v for v in ("exceeds", "inconclusive", "within") if v in {r[f"asymmetry_{m}_verdict"] for m in
                     ("internal_rotation", "external_rotation", "total_arc")}), None) for r in rows]
    assert (f"left/right: {overall.count('exceeds')} differ by more than 10°, {overall.count('inconclusive')} "
            f"cannot tell, {overall.count('within')} within 10°") in err
    assert len(read_summary(tmp_path / "out" / "summary.csv")) == 4
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--no-progress")
    assert code == 0 and "0 ok, 4 already done" in err


def test_the_counts_say_how_many_were_filmed_from_outside_where_accuracy_was_checked(recordings: Path, tmp_path: Path,
                                                                                    capsys) -> None:
    """A study's thousand videos, some filmed from well to the side: the readings of those are less certain, and
    nothing at the end of the run said so (summary.csv's camera columns do, one row at a time)."""
    from hiprom.synthetic import Camera, Trial, protocol, seated_recording

    _, rot = protocol([Trial(side, direction, 35.0) for side in ("left", "right")
                       for direction in ("internal", "external")], fps=15.0)
    seated_recording(rot, fps=15.0, camera=Camera(yaw_deg=40.0), image_noise_px=0.5).save(
        recordings / "aside.landmarks.npz")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1", "--no-progress")
    assert code == 0, err
    rows = {r["file"]: r for r in read_summary(tmp_path / "out" / "summary.csv")}
    assert float(rows["aside.landmarks.npz"]["camera_yaw_deg"]) > 25
    assert rows["aside.landmarks.npz"]["camera_advice"].startswith("The camera is off to your right")
    assert [f for f, r in rows.items() if r["camera_advice"]] == ["aside.landmarks.npz"]
    assert ("camera: 1 filmed from outside where accuracy was checked (up to 25° to the side, 0.5–1.25 m high, "
            "1.6–3 m away): their readings are less certain; summary.csv's camera_advice says what to move") in err


def test_any_failed_input_exits_1_with_the_summary_path(recordings: Path, tmp_path: Path, capsys) -> None:
    (recordings / "empty.landmarks.npz").write_bytes(b"")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1")
    assert code == 1
    assert "1 of 5 inputs failed; the reasons are in" in err
    assert "failed empty.landmarks.npz" in err  # printed as it happens
    row = next(r for r in read_summary(tmp_path / "out" / "summary.csv") if r["file"] == "empty.landmarks.npz")
    assert row["status"] == "failed" and "is empty (0 bytes); it is not a landmarks recording" in row["error"]


def test_without_the_bar_each_failure_is_still_one_line(recordings: Path, tmp_path: Path, capsys) -> None:
    """``--no-progress`` (a script, a job scheduler): before, the log said "5 inputs: 4 ok, 0 already done,
    1 failed" with no word of which input failed or why; now the line the bar prints above itself."""
    (recordings / "empty.landmarks.npz").write_bytes(b"")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1", "--no-progress")
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("failed ")]
    assert len(failed) == 1 and failed[0].startswith("failed empty.landmarks.npz: ") and \
        "is empty (0 bytes); it is not a landmarks recording" in failed[0], err
    assert err.index(failed[0]) < err.index("5 inputs: 4 ok")  # said as it happens, before the counts


def test_a_failed_inputs_error_cell_is_the_terminals_words(recordings: Path, tmp_path: Path, capsys) -> None:
    """Before, the cell began with the input's absolute path (``/tmp/…/in/empty.landmarks.npz: not a readable
    …``), which its ``file`` column already names, while the terminal's line did not: now both say the same."""
    (recordings / "empty.landmarks.npz").write_bytes(b"")
    (recordings / "sub").mkdir()
    (recordings / "sub" / "text.landmarks.npz").write_text("not a recording")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1", "--no-progress")
    assert code == 1, err
    said = dict(line.removeprefix("failed ").split(": ", 1) for line in err.splitlines() if line.startswith("failed "))
    rows = {r["file"]: r["error"] for r in read_summary(tmp_path / "out" / "summary.csv") if r["status"] == "failed"}
    assert rows == said and set(rows) == {"empty.landmarks.npz", "sub/text.landmarks.npz"}, (rows, said)
    assert rows["empty.landmarks.npz"].startswith("is empty (0 bytes); it is not a landmarks recording")
    assert rows["sub/text.landmarks.npz"].startswith("not a readable landmarks recording")
    assert not any(str(tmp_path) in error for error in rows.values()), rows


def test_a_copy_of_an_input_is_analysed_once_and_named_as_a_copy(recordings: Path, tmp_path: Path, capsys) -> None:
    """A phone's ``a (1).landmarks.npz``, a clinic's folder copied twice: before, each copy was analysed and
    had its own ``ok`` row (7 rows, 7 ok for 4 people), so a study counted one person two or three times."""
    (recordings / "x copy").mkdir()
    for copy in ("a (1).landmarks.npz", "x copy/c.landmarks.npz"):
        (recordings / copy).write_bytes((recordings / copy.replace(" (1)", "").replace(" copy", "")).read_bytes())
    (recordings / "copy/of").mkdir(parents=True)
    (recordings / "copy/of/a.landmarks.npz").write_bytes((recordings / "a.landmarks.npz").read_bytes())
    # A hard link is one more name for the same bytes: before, it had no row at all (8 rows for 9 names).
    (recordings / "b link.landmarks.npz").hardlink_to(recordings / "b.landmarks.npz")
    make_recordings(recordings, ["p02.landmarks.npz"], seed=1)  # another person: analysed
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1", "--no-progress")
    assert code == 0, err  # a copy is not a failure
    assert "9 inputs: 5 ok, 0 already done, 0 failed, 4 copies of another input" in err
    rows = {r["file"]: r for r in read_summary(tmp_path / "out" / "summary.csv")}
    assert {f: (r["status"], r["error"]) for f, r in rows.items() if r["status"] != "ok"} == {
        "a (1).landmarks.npz": ("duplicate", "a copy of a.landmarks.npz (the same bytes); analysed once, under that name"),
        "b link.landmarks.npz": ("duplicate",
                                 "a copy of b.landmarks.npz (the same bytes); analysed once, under that name"),
        "copy/of/a.landmarks.npz": ("duplicate",
                                    "a copy of a.landmarks.npz (the same bytes); analysed once, under that name"),
        "x copy/c.landmarks.npz": ("duplicate",
                                   "a copy of x/c.landmarks.npz (the same bytes); analysed once, under that name"),
    }
    assert rows["a (1).landmarks.npz"]["analysis"] == "" and rows["a (1).landmarks.npz"]["frames"] == ""
    assert sorted(p.name for p in (tmp_path / "out").rglob("*.analysis.json")) == [
        "a.analysis.json", "b.analysis.json", "c.analysis.json", "c.analysis.json", "p02.analysis.json"]
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--no-progress")
    assert code == 0 and "0 ok, 5 already done, 0 failed, 4 copies of another input" in err


def test_an_input_that_became_a_copy_loses_its_earlier_outputs(recordings: Path, tmp_path: Path, capsys) -> None:
    """``b`` was analysed, then replaced by a hard link to ``a``, and ``y/c`` by a copy of ``x/c``: their
    rows say ``duplicate``, "no outputs", but before, the earlier run's ``b.*`` and ``y/c.*`` stayed
    beside the summary, two sets of figures of which the researcher could not tell the current one. Now the
    outputs hiprom wrote for them go (said in one line); an output the user changed since is kept and named."""
    out = tmp_path / "out"
    code, err = _batch(capsys, str(recordings), "-o", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    (recordings / "b.landmarks.npz").unlink()
    (recordings / "b.landmarks.npz").hardlink_to(recordings / "a.landmarks.npz")
    (recordings / "y/c.landmarks.npz").write_bytes((recordings / "x/c.landmarks.npz").read_bytes())
    code, err = _batch(capsys, str(recordings), "-o", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    rows = {r["file"]: r["status"] for r in read_summary(out / "summary.csv")}
    assert rows == {"a.landmarks.npz": "skipped", "b.landmarks.npz": "duplicate",
                    "x/c.landmarks.npz": "skipped", "y/c.landmarks.npz": "duplicate"}
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name[0] != ".")
    assert left == sorted(["summary.csv", "trials.csv", *(f"{stem}.{kind}" for stem in ("a", "x/c") for kind in
                                                          ("landmarks.npz", "series.csv", "analysis.json", "done.json"))])
    assert not (out / "y").exists()  # its folder, left empty, goes too
    assert ("hiprom: removed the outputs an earlier run wrote for 2 inputs that are now copies of another input "
            "(b.landmarks.npz, y/c.landmarks.npz): their rows name the input analysed in their place") in err
    # an output the user changed is theirs: kept, and said
    (recordings / "y/c.landmarks.npz").unlink()
    make_recordings(recordings, ["y/c.landmarks.npz"], seed=3)
    code, err = _batch(capsys, str(recordings), "-o", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    (out / "y/c.series.csv").write_text((out / "y/c.series.csv").read_text() + "\n")
    (recordings / "y/c.landmarks.npz").unlink()
    (recordings / "y/c.landmarks.npz").hardlink_to(recordings / "x/c.landmarks.npz")
    code, err = _batch(capsys, str(recordings), "-o", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    assert (out / "y/c.analysis.json").exists() and (out / "y/c.series.csv").exists()
    assert ("hiprom: kept the outputs of y/c.landmarks.npz, now a copy of another input (x/c.landmarks.npz): "
            "some were changed since hiprom wrote them (y/c.series.csv); remove them if they are not wanted") in err


def test_semicolon_csvs_open_in_european_excel(recordings: Path, tmp_path: Path, capsys) -> None:
    """Excel in German or French splits a double-clicked CSV at ';' and reads '31,5' as a number: before, the
    summary was one column there. ``--csv-style semicolons`` writes both tables so; the default stays commas."""
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "plain"), "--workers", "1", "--no-progress")
    assert code == 0, err
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "eu"), "--workers", "1", "--no-progress",
                       "--csv-style", "semicolons")
    assert code == 0, err
    for name in ("summary.csv", "trials.csv"):
        plain_text = (tmp_path / "plain" / name).read_text(encoding="utf-8-sig")
        eu_text = (tmp_path / "eu" / name).read_text(encoding="utf-8-sig")
        assert plain_text.splitlines()[0] == eu_text.splitlines()[0].replace(";", ",")  # the same columns
        plain_rows, eu_rows = list(csv.reader(io.StringIO(plain_text))), list(csv.reader(io.StringIO(eu_text),
                                                                                          delimiter=";"))
        assert len(plain_rows) == len(eu_rows) > 1
        numbers = 0
        dated = plain_rows[0].index("created_utc") if "created_utc" in plain_rows[0] else None
        for a, b in zip(plain_rows, eu_rows):
            for column, (x, y) in enumerate(zip(a, b, strict=True)):
                if column == dated:  # when each run analysed the input
                    continue
                if re.fullmatch(r"-?\d+\.\d+", x):  # a number: its decimal comma
                    assert y == x.replace(".", ","), (x, y)
                    numbers += 1
                else:  # words, names, lists: as they were
                    assert y == x, (x, y)
        assert numbers > 10
    # read back (a resumed batch, hiprom.batch.read_summary) as the default one is
    eu = read_summary(tmp_path / "eu" / "summary.csv")
    assert [r["file"] for r in eu] == [r["file"] for r in read_summary(tmp_path / "plain" / "summary.csv")]
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "eu"), "--no-progress", "--csv-style",
                       "semicolons")
    assert code == 0 and "0 ok, 4 already done" in err, err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["{empty}"], 2, "no videos or .landmarks.npz recordings found"),
        (["{missing}"], 2, "no such file or folder"),
        (["{rec}", "--workers", "0"], 2, "0 is not in the range x>=1"),
        (["{rec}", "--norms", "{missing}"], 2, "norms file not found"),
    ],
    ids=["no-inputs", "missing-input", "zero-workers", "missing-norms"],
)
def test_usage_errors_are_one_line(recordings: Path, tmp_path: Path, capsys,
                                   args: list[str], code: int, message: str) -> None:
    (tmp_path / "empty").mkdir()
    subs = {"empty": tmp_path / "empty", "missing": tmp_path / "missing", "rec": recordings}
    got, err = _batch(capsys, *[a.format(**subs) for a in args], "-o", str(tmp_path / "out"))
    assert got == code
    assert message in err
    assert "Traceback" not in err


def test_scheduler_without_dask_says_what_to_install(recordings: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:8786")
    assert code == 2
    assert "pip install 'hiprom[cluster]'" in err


def test_each_failure_is_one_line_in_a_log_file(recordings: Path, tmp_path: Path) -> None:
    """With stderr in a file (nohup, cron), rich cut each failure line at 80 columns."""
    long_name = "a_video_with_a_rather_long_name_from_the_clinic_camera_2024-03-14_session_2.mp4"
    (recordings / long_name).write_text("not a video\n")
    done = subprocess.run([sys.executable, "-m", "hiprom.cli.main", "batch", str(recordings), "-o",
                           str(tmp_path / "out"), "--workers", "1"], capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed ")]
    assert len(failed) == 1 and failed[0].endswith("or re-export it as .mp4"), done.stderr
    # The input named once, by its relative path: before, "failed NAME: /tmp/…/in/NAME: …" said it twice.
    assert failed[0].startswith(f"failed {long_name}: ") and failed[0].count(long_name) == 1, failed[0]


def test_files_left_out_of_the_folders_are_said_in_one_line(recordings: Path, tmp_path: Path, capsys) -> None:
    """A researcher's folder of a thousand files: those not taken for their ending (a camera's .MXF, notes,
    photos) were missing from summary.csv without a word. Hidden files (.DS_Store) are left out silently."""
    for name in ("notes.txt", "photo.JPG", "site2/clip.MXF", "site2/clip2.mxf", ".DS_Store"):
        (recordings / name).parent.mkdir(exist_ok=True)
        stand_in(recordings / name, b"x")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"), "--workers", "1", "--no-progress")
    assert code == 0, err
    assert err.splitlines()[0] == (
        "hiprom: left out 4 files in the input folders: not videos or .landmarks.npz recordings by their ending "
        "(2 .mxf, 1 .txt, 1 .jpg); to analyse such files, name them as inputs or choose them with --glob")
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out2"), "--glob", "*.landmarks.npz",
                       "--no-progress")
    assert code == 0 and "left out" not in err, err  # files chosen by pattern: the others are the user's choice


def test_ctrl_c_says_how_to_continue(recordings: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """Before: 'hiprom: interrupted' alone after Ctrl-C, while SIGTERM said to run the same command again."""
    from hiprom.batch import runner

    def interrupted(inputs, out_dir, **kwargs):
        return runner.BatchResult(rows=[], summary_path=Path(out_dir) / "summary.csv", interrupted=True)

    monkeypatch.setattr(runner, "run_batch", interrupted)
    code, err = _batch(capsys, str(recordings), "-o", str(tmp_path / "out"))
    assert code == 130
    assert err.splitlines()[-1] == "hiprom: interrupted; run the same command again to continue"


def test_a_recording_too_short_for_a_test_says_how_long_it_is_and_a_test_needs(tmp_path: Path, capsys) -> None:
    """A 1 s clip said "No trial found on either side: no turn of a foot was held", no word of its length."""
    import dataclasses

    from hiprom.recording import LandmarkRecording

    demo = LandmarkRecording.load(Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz")
    n = round(demo.fps)  # 1 s of rest, before the first turn
    one_s = dataclasses.replace(demo, t_ms=demo.t_ms[:n], image=demo.image[:n], world=demo.world[:n],
                                n_people=None if demo.n_people is None else demo.n_people[:n])
    (tmp_path / "in").mkdir()
    one_s.save(tmp_path / "in" / "short.landmarks.npz")
    words = ("No trial found on either side: the recording is 1.0 s long, too short to hold a test, which needs "
             "about 12 s")
    assert main(["analyze", str(tmp_path / "in" / "short.landmarks.npz")]) == 0
    assert words in " ".join(capsys.readouterr().out.split())
    code, err = _batch(capsys, str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-progress", "--workers", "1")
    assert code == 0, err
    assert read_summary(tmp_path / "out" / "summary.csv")[0]["verdict"].startswith(words)
