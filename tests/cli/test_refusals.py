"""Mistakes a user can make on the command line end in one line and change nothing on disk.

An output named like one of its inputs (which would replace the only copy of
the input), store options without ``--save`` (which would be silently
ignored), an empty source name: each is refused before any work, with the
usage exit code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hiprom.errors import InputError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"


def hiprom(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hiprom.cli.main", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=240)


def one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    """The single ``hiprom: error:`` line of a run that ended with ``code``."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hiprom: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo recording's analysis, made once for the module."""
    where = tmp_path_factory.mktemp("analysis")
    done = hiprom("analyze", DEMO, "--json", "a.json", "-q", cwd=where)
    assert done.returncode == 0, done.stderr
    return where / "a.json"


@pytest.fixture
def folder(tmp_path: Path, demo_json: Path) -> Path:
    """A folder with a recording ``x.landmarks.npz``, a fake video ``clip.mp4`` and an analysis ``a.json``."""
    shutil.copy(DEMO, tmp_path / "x.landmarks.npz")
    (tmp_path / "clip.mp4").write_bytes(b"not really a video")
    shutil.copy(demo_json, tmp_path / "a.json")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "output"),
    [
        (["analyze", "clip.mp4", "--csv", "clip.mp4"], "clip.mp4"),
        (["analyze", "x.landmarks.npz", "--json", "x.landmarks.npz"], "x.landmarks.npz"),
        (["analyze", "x.landmarks.npz", "--save-landmarks", "./x.landmarks.npz"], "./x.landmarks.npz"),
        (["report", "a.json", "-o", "a.json"], "a.json"),
        (["report", "a.json", "--no-pdf", "--json", "a.json"], "a.json"),
        (["report", "a.json", "--no-pdf", "--csv", "x", "--landmarks", "x.series.csv"], "x.series.csv"),
        (["batch", "sub/x.landmarks.npz", "-o", "sub", "--no-progress"], "sub/x.landmarks.npz"),
    ],
    ids=["analyze-csv-over-video", "analyze-json-over-recording", "analyze-landmarks-over-recording",
         "report-pdf-over-analysis", "report-json-over-analysis", "report-csv-over-landmarks", "batch-over-input"],
)
def test_an_output_that_is_an_input_is_refused(folder: Path, args: list[str], output: str) -> None:
    (folder / "sub").mkdir()
    shutil.copy(DEMO, folder / "sub" / "x.landmarks.npz")
    (folder / "x.series.csv").write_text("t_s\n")
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    line = one_line(hiprom(*args, cwd=folder), InputError.exit_code, "is the source itself", "choose another")
    assert output.split("/")[-1] in line
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # nothing written, nothing lost


VIDEO = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(range(256)) * 4
"""The start of an MP4 file (its ftyp box, then binary data)."""
LETTER = (b"%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type /Pages /Kids [] /Count 0>>\n"
          b"endobj\n3 0 obj\n<</Title (Referral letter, signed) /Producer (Word)>>\nendobj\ntrailer\n"
          b"<</Root 1 0 R /Info 3 0 R>>\n%%EOF\n")
"""A PDF hiprom did not make: the signed referral letter a clinician keeps beside the reports."""
NOTES = "Mrs Núñez: call back on Monday\n".encode()
SPREADSHEET = "\ufeffName,Left IR,Right IR\nAnn,31,35\n".encode()


@pytest.mark.parametrize(
    ("args", "output", "kind"),
    [
        (["report", "a.json", "-o", "clip.mp4"], "clip.mp4", "a PDF"),
        (["report", "a.json", "-o", "letter.pdf"], "letter.pdf", "a PDF"),
        (["report", "a.json", "--no-pdf", "--json", "clip.mp4"], "clip.mp4", "a JSON file"),
        (["report", "a.json", "--no-pdf", "--json", "notes.txt"], "notes.txt", "a JSON file"),
        (["report", "a.json", "--no-pdf", "--csv", "clip.mp4"], "clip.mp4.summary.csv", "a CSV table"),
        (["report", "a.json", "--no-pdf", "--csv", "sheet"], "sheet.summary.csv", "a CSV table"),
        (["analyze", "x.landmarks.npz", "--csv", "clip.mp4"], "clip.mp4", "a CSV table"),
        (["analyze", "x.landmarks.npz", "--csv", "notes.txt"], "notes.txt", "a CSV table"),
        (["analyze", "x.landmarks.npz", "--csv", "a.json"], "a.json", "a CSV table"),
        (["analyze", "x.landmarks.npz", "--save-landmarks", "a.json"], "a.json", "a landmarks recording"),
        (["track", "clip.mp4", "-o", "a.json"], "a.json", "a landmarks recording"),
        (["program", "pdf", "1", "--db", "h.db", "-o", "clip.mp4"], "clip.mp4", "a PDF"),
        (["program", "pdf", "1", "--db", "h.db", "-o", "letter.pdf"], "letter.pdf", "a PDF"),
        (["validate", "--pairs", "a.json", "-o", "letter.pdf"], "letter.pdf", "a PDF"),
        (["validate", "--pairs", "a.json", "--json", "notes.txt"], "notes.txt", "a JSON file"),
        (["sessions", "export", "1", "--db", "h.db", "-o", "clip.mp4"], "clip.mp4", "a JSON file"),
        (["sessions", "export", "1", "--db", "h.db", "--format", "csv", "-o", "sheet"], "sheet.summary.csv",
         "a CSV table"),
    ],
    ids=["report-pdf-over-video", "report-pdf-over-letter", "report-json-over-video", "report-json-over-notes",
         "report-csv-over-video", "report-csv-over-spreadsheet", "analyze-csv-over-video", "analyze-csv-over-notes",
         "analyze-csv-over-analysis", "analyze-landmarks-over-analysis", "track-over-analysis",
         "program-pdf-over-video", "program-pdf-over-letter", "validate-pdf-over-letter", "validate-json-over-notes",
         "export-over-video", "export-csv-over-spreadsheet"],
)
def test_an_output_over_a_file_hiprom_did_not_make_is_refused(
        folder: Path, args: list[str], output: str, kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``hiprom report 12 -o clip.mp4`` replaced the video with the PDF, silently; then any PDF (a signed
    referral letter) could still be replaced by a report, and the user's notes or spreadsheet by a CSV."""
    from hiprom.cli.main import main

    (folder / "clip.mp4").write_bytes(VIDEO)
    (folder / "clip.mp4.summary.csv").write_bytes(VIDEO)
    (folder / "letter.pdf").write_bytes(LETTER)
    (folder / "notes.txt").write_bytes(NOTES)
    (folder / "sheet.summary.csv").write_bytes(SPREADSHEET)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        capsys.readouterr()
        assert main(args) == InputError.exit_code
    assert capsys.readouterr().err == (f"hiprom: error: {output}: exists and is not {kind} hiprom made; choose "
                                       "another output name, or move that file away first\n")
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # nothing written, nothing lost


def test_a_batch_over_a_file_hiprom_did_not_make_is_refused_before_any_work(folder: Path) -> None:
    """A batch into the folder where the user keeps their own summary.csv wrote its summary over it."""
    (folder / "in").mkdir()
    shutil.copy(DEMO, folder / "in" / "p01.landmarks.npz")
    (folder / "out").mkdir()
    (folder / "out" / "summary.csv").write_bytes(SPREADSHEET)
    done = hiprom("batch", "in", "-o", "out", "--no-progress", "--workers", "1", cwd=folder)
    one_line(done, InputError.exit_code, "summary.csv: exists and is not a CSV table hiprom made",
             "choose another output name (another -o folder), or move that file away first")
    assert [p.name for p in (folder / "out").iterdir()] == ["summary.csv"]
    assert (folder / "out" / "summary.csv").read_bytes() == SPREADSHEET
    (folder / "out" / "summary.csv").unlink()
    (folder / "out" / "p01.series.csv").write_bytes(NOTES)  # an input's output name: refused too, before any work
    one_line(hiprom("batch", "in", "-o", "out", "--no-progress", "--workers", "1", cwd=folder),
             InputError.exit_code, "p01.series.csv: exists and is not a CSV table hiprom made")
    assert (folder / "out" / "p01.series.csv").read_bytes() == NOTES and not (folder / "out" / "summary.csv").exists()


def test_the_same_command_writes_over_its_own_outputs_again(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A report's exports and a batch written twice replace the first ones (tests/test_overwrite.py: every
    kind of output hiprom writes is told as its own)."""
    from hiprom.cli.main import main

    (folder / "in").mkdir()
    shutil.copy(DEMO, folder / "in" / "p01.landmarks.npz")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for args in (["report", "a.json", "--no-pdf", "--csv", "ex", "--json", "ex.json"],
                     ["batch", "in", "-o", "out", "--no-progress", "--workers", "1", "--redo"]):
            for _ in range(2):
                assert main(args) == 0, capsys.readouterr().err


def test_store_options_without_save_are_refused(folder: Path) -> None:
    done = hiprom("analyze", "x.landmarks.npz", "--subject", "P-7", "--notes", "left hip", cwd=folder)
    one_line(done, InputError.exit_code, "--subject and --notes only apply when", "add --save (or leave them out)")
    done = hiprom("analyze", "x.landmarks.npz", "--subject", "P-7", cwd=folder)  # was "--subject only apply"
    one_line(done, InputError.exit_code, "--subject only applies when", "add --save (or leave it out)")
    assert not (folder / "data").exists()


def test_an_empty_source_is_refused_not_read_as_the_current_folder(folder: Path) -> None:
    one_line(hiprom("analyze", "", cwd=folder), InputError.exit_code, "the source is empty")
    one_line(hiprom("batch", "", "-o", "out", "--no-progress", cwd=folder), InputError.exit_code, "an empty name")
    assert not (folder / "out").exists()


def test_a_report_exported_to_stdout_is_the_export_alone(folder: Path) -> None:
    """``report --json -`` wrote a file named '-', and 'Wrote ...' lines would have broken the JSON on stdout."""
    done = hiprom("report", "a.json", "--json", "-", "-o", "a.pdf", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schema"] == "hiprom.export/1"
    assert done.stderr.strip() == "Wrote a.pdf" and not (folder / "-").exists()


def _crafted(path: Path, **changes: object) -> Path:
    """The demo recording with some fields replaced (as a damaged or hand-made file would have them)."""
    with np.load(DEMO, allow_pickle=False) as data:
        fields = {k: data[k] for k in data.files}
    for key, value in changes.items():
        fields[key] = value(fields[key]) if callable(value) else np.asarray(value)
    np.savez(path, **fields)
    return path


def _nan_time(t: np.ndarray) -> np.ndarray:
    t = t.copy()
    t[5] = np.nan
    return t


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"fps": np.inf}, "frame rate (inf) is not valid"),
        ({"fps": 0.0}, "frame rate (0) is not valid"),
        ({"fps": np.nan}, "frame rate (nan) is not valid"),
        ({"fps": -30.0}, "frame rate (-30) is not valid"),
        ({"t_ms": _nan_time}, "frame times (t_ms) are not valid"),
    ],
    ids=["fps-inf", "fps-0", "fps-nan", "fps-negative", "t-nan"],
)
def test_a_recording_with_impossible_times_is_refused_in_one_line(tmp_path: Path, changes: dict, words: str) -> None:
    crafted = _crafted(tmp_path / "crafted.landmarks.npz", **changes)
    for args in (["--json", "x.json"], []):
        one_line(hiprom("analyze", crafted, *args, cwd=tmp_path), InputError.exit_code, "crafted.landmarks.npz", words)
    assert not (tmp_path / "x.json").exists()


def test_a_failed_batch_input_leaves_no_outputs(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    _crafted(tmp_path / "in" / "fpsinf.landmarks.npz", fps=np.inf)
    shutil.copy(DEMO, tmp_path / "in" / "good.landmarks.npz")
    done = hiprom("batch", "in", "-o", "out", "--no-progress", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert not list((tmp_path / "out").glob("fpsinf.*"))  # no recording or series without analysis and marker
    assert {p.name for p in (tmp_path / "out").glob("good.*")} == {
        "good.landmarks.npz", "good.series.csv", "good.analysis.json", "good.done.json"}
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert "frame rate (inf) is not valid" in summary and "internal error" not in summary


def test_a_file_that_is_not_an_archive_gets_a_plain_line(tmp_path: Path) -> None:
    (tmp_path / "text.landmarks.npz").write_text("hello, not a recording\n")
    line = one_line(hiprom("analyze", "text.landmarks.npz", cwd=tmp_path), InputError.exit_code,
                    "not a readable landmarks recording")
    assert "allow_pickle" not in line and "unsafe" not in line


def test_a_missing_choice_is_one_line_naming_the_choices(tmp_path: Path) -> None:
    """`hiprom reps clip.mp4` without --side printed "Missing option '--side'. Choose from:" and the choices a line
    each, tab-indented, under the error line: three lines where scripts and people expect one."""
    one_line(hiprom("reps", "clip.mp4", cwd=tmp_path), InputError.exit_code,
             "Missing option '--side'. Choose from: left, right (see 'hiprom reps --help')")


@pytest.mark.parametrize(
    ("args", "command"),
    [(["analyze", "x.landmarks.npz", "--json"], "hiprom analyze"), (["sessions", "export", "1", "-o"], "hiprom sessions export")],
)
def test_an_option_without_its_value_says_where_to_look(tmp_path: Path, args: list[str], command: str) -> None:
    """"Option '--json' requires an argument." ended there, the one usage error without "(see '... --help')"."""
    one_line(hiprom(*args, cwd=tmp_path), InputError.exit_code, "requires an argument", f"(see '{command} --help')")


def test_an_analysis_file_given_to_analyze_says_which_commands_read_it(folder: Path) -> None:
    """`hiprom analyze a.json` said "not a readable video (corrupt, incomplete, or not a video at all);
    check that it plays in a video player": the file was fine, the command was not."""
    one_line(hiprom("analyze", "a.json", cwd=folder), InputError.exit_code, "a.json: a JSON file, not a video",
             "'hiprom report a.json'", "'hiprom sessions add a.json'")


def test_an_empty_file_is_said_empty_in_the_same_words_by_every_command(tmp_path: Path) -> None:
    """A 0-byte recording said "not a readable landmarks recording (not an .npz archive, or damaged)"
    where a 0-byte video says "is empty (0 bytes); it is not a video"."""
    (tmp_path / "in").mkdir()
    for name in ("empty.landmarks.npz", "empty.mp4"):
        (tmp_path / "in" / name).write_bytes(b"")
    recording, video = "is empty (0 bytes); it is not a landmarks recording", "is empty (0 bytes); it is not a video"
    one_line(hiprom("analyze", "in/empty.landmarks.npz", cwd=tmp_path), InputError.exit_code, recording)
    one_line(hiprom("analyze", "in/empty.mp4", cwd=tmp_path), InputError.exit_code, video)
    for name in ("empty.landmarks.npz", "empty.mp4"):
        one_line(hiprom("report", f"in/{name}", "-o", "r.pdf", cwd=tmp_path), InputError.exit_code,
                 "is empty (0 bytes); it is not a JSON file")
    done = hiprom("batch", "in", "-o", "out", "--no-progress", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    summary = (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8-sig")
    assert recording in summary and video in summary


@pytest.mark.parametrize("command", ["analyze", "batch"])
def test_a_file_whose_name_starts_with_a_dash_is_explained(tmp_path: Path, command: str) -> None:
    """``hiprom analyze -clip.mp4`` said only "No such option '-c'"; now the line says the name is read as
    options and how to name the file, and the way it gives works."""
    shutil.copy(DEMO, tmp_path / "-clip.landmarks.npz")
    line = one_line(hiprom(command, "-clip.landmarks.npz", cwd=tmp_path), 2,
                    "'-clip.landmarks.npz' is read as options", "'./-clip.landmarks.npz'", "'--'")
    assert "No such option '-c'" in line
    if command == "analyze":
        done = hiprom("analyze", "./-clip.landmarks.npz", "--json", "out.json", cwd=tmp_path)
        assert done.returncode == 0 and (tmp_path / "out.json").is_file(), done.stderr
