"""Every file hiprom writes holds health data: owner-only (0600 files, 0700 new folders) whatever the umask.

One pass of the commands a clinic runs, under umask 002 (the default of many
desktops, where a new file is group-writable and world-readable): analyse and
save, report exports, export, back up, restore, copy the store, batch. Everything hiprom
wrote is listed and checked, so a new writer that forgets is caught here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hiprom.cli.main import cli

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "demo_seated_test.landmarks.npz"


@pytest.fixture
def umask_002() -> Iterator[None]:
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli, [*args], catch_exceptions=False)
    assert result.exit_code == 0, f"hiprom {' '.join(args)}: {result.output}"


def test_every_file_a_clinic_run_writes_is_owner_only_under_umask_002(tmp_path: Path, umask_002, monkeypatch) -> None:
    monkeypatch.setenv("HIPROM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    inputs = tmp_path / "inputs"  # the user's own folder: made by the user, not hiprom
    inputs.mkdir()
    (inputs / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    mine = {inputs, inputs / SAMPLE.name}
    _run("analyze", str(inputs / SAMPLE.name), "--json", "out/a.json", "--csv", "out/a.csv",
         "--save-landmarks", "out/a.landmarks.npz", "--save", "--subject", "P-1", "--quiet")
    # PDFs go through the same writer (hiprom.atomic) as these exports, and take seconds to render.
    _run("report", "1", "--no-pdf", "--csv", "reports/one", "--json", "reports/one.json")
    _run("sessions", "export", "1", "--format", "csv", "-o", "exports/all")
    _run("backup", "backups/monday.db")
    _run("restore", "backups/monday.db", "--yes")
    _run("store", "copy", "--to", "copies/clinic.db")
    _run("batch", str(inputs), "-o", "batch", "--workers", "1", "--no-progress")
    written = [p for p in tmp_path.rglob("*") if p not in mine]
    expected = {"data/hiprom.db", "out/a.json", "out/a.landmarks.npz", "reports/one.summary.csv", "exports/all.trials.csv",
                "backups/monday.db", "copies/clinic.db", "batch/summary.csv"}
    assert expected <= {p.relative_to(tmp_path).as_posix() for p in written}
    loose = {p.relative_to(tmp_path).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in written
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)}
    assert not loose, f"readable beyond their owner: {loose}"
