"""Issue 12 #6: an output that cannot be written is one line naming it, with exit code 6.

Real places: a full tmpfs (mounted for the test, as root) and a read-only one.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
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


def test_a_full_output_disk_in_batch_is_not_called_unreadable_input(full_disk: Path, tmp_path: Path) -> None:
    """The batch stops at the first output the full disk refuses, naming it; never 'cannot read the file'."""
    recordings = tmp_path / "in"
    recordings.mkdir()
    for name in ("demo.landmarks.npz", "demo2.landmarks.npz"):
        shutil.copy(DEMO, recordings / name)
    out = full_disk / "out"
    out.mkdir()
    done = hiprom("batch", recordings, "-o", out, "--no-progress", "--workers", "1")
    _one_line_naming(done, out, "No space left on device")
    assert "free some disk space" in done.stderr and "cannot read" not in done.stderr
    assert "failed" not in done.stderr  # stopped, not every input tried and failed in turn
