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


def _old_store(folder: Path) -> list[Path]:
    """A store with a session, as an older hiprom left it: the file, its -wal and a before-restore backup 0644."""
    from hiprom.store import Store

    db = folder / "hiprom.db"
    Store(db).close()
    files = [db, folder / "hiprom.db-wal", folder / "hiprom.before-restore-20260101T000000Z.db"]
    for path in files[1:]:
        path.write_bytes(b"")
    for path in files:
        path.chmod(0o644)
    return files


def test_an_older_store_readable_by_others_is_made_owner_only_and_said_once(tmp_path: Path) -> None:
    """Before, a store made before stores were created 0600 stayed 0644: every user could read every patient's numbers."""
    files = _old_store(tmp_path)
    first = CliRunner().invoke(cli, ["sessions", "list", "--db", str(files[0])])
    assert first.exit_code == 0, first.output
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files if p.exists()} == {
        p.name: "0o600" for p in files if p.exists()}
    said = [line for line in first.stderr.splitlines() if "other users" in line]
    assert said == [f"hiprom: {files[0]}: other users of this machine could read the records store (mode 0644); it and "
                    f"hiprom.db-wal, hiprom.before-restore-20260101T000000Z.db are now readable by you only"], first.stderr
    again = CliRunner().invoke(cli, ["sessions", "list", "--db", str(files[0])])
    assert again.exit_code == 0 and "other users" not in again.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_store_of_another_user_is_left_as_it_is_with_what_its_owner_should_run(tmp_path: Path) -> None:
    db = _old_store(tmp_path)[0]
    os.chown(db, 65534, -1)
    result = CliRunner().invoke(cli, ["sessions", "list", "--db", str(db)])
    assert stat.S_IMODE(db.stat().st_mode) == 0o644
    assert f"not your file); its owner should run: chmod go-rwx {db}" in result.stderr, result.stderr
