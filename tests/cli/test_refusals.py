"""Mistakes a user can make on the command line end in one line and change nothing on disk.

An output named like one of its inputs (which would replace the only copy of
the input), store options without ``--save`` (which would be silently
ignored), an empty source name: each is refused before any work, with the
usage exit code.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

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


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a recording ``x.landmarks.npz``, a fake video ``clip.mp4`` and an analysis ``a.json``."""
    shutil.copy(DEMO, tmp_path / "x.landmarks.npz")
    (tmp_path / "clip.mp4").write_bytes(b"not really a video")
    done = hiprom("analyze", "x.landmarks.npz", "--json", "a.json", "-q", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
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


def test_store_options_without_save_are_refused(folder: Path) -> None:
    done = hiprom("analyze", "x.landmarks.npz", "--subject", "P-7", "--notes", "left hip", cwd=folder)
    one_line(done, InputError.exit_code, "--subject, --notes", "add --save")
    assert not (folder / "data").exists()


def test_an_empty_source_is_refused_not_read_as_the_current_folder(folder: Path) -> None:
    one_line(hiprom("analyze", "", cwd=folder), InputError.exit_code, "the source is empty")
