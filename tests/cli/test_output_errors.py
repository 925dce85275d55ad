"""Issue 12 #6: an output that cannot be written is one line naming it, with exit code 6.

Real places: a full tmpfs (mounted for the test, as root) and a read-only one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hiprom.errors import OutputError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"


def hiprom(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hiprom.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=240)


def _one_line_naming(done: subprocess.CompletedProcess[str], output: Path, reason: str) -> None:
    assert done.returncode == OutputError.exit_code, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("hiprom: error:")]
    assert len(lines) == 1, done.stderr
    assert str(output) in lines[0] and reason in lines[0], lines[0]


@pytest.fixture(params=["full", "read-only"])
def bad_place(request: pytest.FixtureRequest) -> tuple[Path, str]:
    """(folder, words of the reason) for a full disk and a read-only folder."""
    if request.param == "full":
        return request.getfixturevalue("full_disk"), "No space left on device"
    return request.getfixturevalue("read_only_dir"), "Read-only file system" if _root() else "Permission denied"


def _root() -> bool:
    import os

    return os.geteuid() == 0


def test_analyze_json_to_a_bad_place(bad_place: tuple[Path, str]) -> None:
    folder, reason = bad_place
    out = folder / "visit.json"
    _one_line_naming(hiprom("analyze", DEMO, "--json", out, "-q"), out, reason)
    assert not out.exists()


@pytest.mark.slow
def test_report_pdf_to_a_bad_place(bad_place: tuple[Path, str], tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="PDF reports need hiprom[report]")
    analysis = tmp_path / "visit.json"
    assert hiprom("analyze", DEMO, "--json", analysis, "-q").returncode == 0
    folder, reason = bad_place
    out = folder / "report.pdf"
    _one_line_naming(hiprom("report", analysis, "-o", out), out, reason)


def test_batch_into_a_bad_new_folder(bad_place: tuple[Path, str], tmp_path: Path) -> None:
    folder, reason = bad_place
    recordings = tmp_path / "in"
    recordings.mkdir()
    shutil.copy(DEMO, recordings / "demo.landmarks.npz")
    out = folder / "out"
    done = hiprom("batch", recordings, "-o", out, "--no-progress", "--workers", "1")
    assert done.returncode == OutputError.exit_code, done.stderr
    assert "Traceback" not in done.stderr and "cannot read" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("hiprom: error:")]
    assert len(errors) == 1 and reason in errors[0] and str(out) in errors[0], done.stderr


def test_batch_into_an_existing_read_only_folder(read_only_dir: Path, tmp_path: Path) -> None:
    recordings = tmp_path / "in"
    recordings.mkdir()
    shutil.copy(DEMO, recordings / "demo.landmarks.npz")
    done = hiprom("batch", recordings, "-o", read_only_dir, "--no-progress", "--workers", "1")
    assert done.returncode == OutputError.exit_code and "Traceback" not in done.stderr, done.stderr
    assert str(read_only_dir) in done.stderr


def test_a_full_output_disk_in_batch_is_not_called_unreadable_input(full_disk: Path, tmp_path: Path,
                                                                   demo_recording_as: Callable[[Path], Path]) -> None:
    """The batch stops at the first output the full disk refuses, naming it; never 'cannot read the file'."""
    recordings = tmp_path / "in"
    recordings.mkdir()
    for name in ("demo.landmarks.npz", "demo2.landmarks.npz"):
        demo_recording_as(recordings / name)
    out = full_disk / "out"
    out.mkdir()
    done = hiprom("batch", recordings, "-o", out, "--no-progress", "--workers", "1")
    _one_line_naming(done, out, "No space left on device")
    assert "free some disk space" in done.stderr and "cannot read" not in done.stderr
    assert "failed" not in done.stderr  # stopped, not every input tried and failed in turn


@pytest.mark.slow
def test_a_report_that_fills_the_disk_leaves_the_last_report_and_exports_as_they_were(
        full_disk: Path, refill: Callable[..., None], tmp_path: Path, analysis: dict, fixture_analysis: dict) -> None:
    """The exports were written one by one: when the disk filled up at the PDF, the CSV tables beside it
    were already this report's (1,272 frames in the series) while the PDF was the last one's, and the
    error named the PDF alone. Now all of a report's files are written, or none."""
    pytest.importorskip("weasyprint", reason="PDF reports need hiprom[report]")
    from hiprom.assessment import result_json
    from hiprom.report import ReportData, write_csv

    visit = tmp_path / "visit.json"
    visit.write_text(result_json(analysis), encoding="utf-8")
    (full_disk / "filler").unlink()
    write_csv([ReportData(analysis=fixture_analysis)], full_disk / "visit")  # the last visit's tables
    refill(full_disk, leave=100 * 1024)  # full again, then 100 KiB free: the tables fit, the PDF not
    before = {p.name: p.read_bytes() for p in full_disk.iterdir() if p.name != "filler"}
    out = full_disk / "visit.pdf"
    _one_line_naming(hiprom("report", visit, "-o", out, "--csv", full_disk / "visit"), out, "No space left on device")
    assert {p.name: p.read_bytes() for p in full_disk.iterdir() if p.name != "filler"} == before  # no part files either
