"""Issue 12 #7: ``hiprom backup`` is consistent with the WAL; the store and outputs are private.

After a crash, committed sessions may sit only in ``hiprom.db-wal``: a plain
copy of ``hiprom.db`` misses them, the online backup has them all.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hiprom.errors import OutputError, StoreError
from hiprom.store import Store
from hiprom.store.backup import backup, restore

CRASH_AFTER_SAVING = textwrap.dedent(
    """
    import json, os, sys
    from hiprom.store import Store
    store = Store(sys.argv[1])
    analysis = json.load(open(sys.argv[2]))
    for i in range(3):
        store.save_analysis(analysis, subject=f"P-{i}")
    os._exit(0)  # like a crash: no checkpoint, the sessions are only in the WAL
    """
)


def _hiprom(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hiprom.cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def _sessions(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def crashed_store(tmp_path: Path, analysis: dict) -> Path:
    db = tmp_path / "clinic" / "hiprom.db"
    data = tmp_path / "analysis.json"
    data.write_text(json.dumps(analysis))
    subprocess.run([sys.executable, "-c", CRASH_AFTER_SAVING, str(db), str(data)], check=True, timeout=120)
    assert db.with_name("hiprom.db-wal").stat().st_size > 0
    return db


def test_backup_has_the_sessions_a_file_copy_misses(crashed_store: Path, tmp_path: Path) -> None:
    naive = tmp_path / "naive.db"
    shutil.copy(crashed_store, naive)
    with sqlite3.connect(naive) as conn:  # the copy without its WAL: the sessions are not there
        tables = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sessions'").fetchone()[0]
        assert tables == 0 or conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] < 3

    copy = tmp_path / "backups" / "monday.db"
    done = _hiprom("backup", copy, "--db", crashed_store)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Backed up 3 sessions of 3 subjects to {copy}"
    assert _sessions(copy) == 3
    assert not copy.with_name("monday.db-wal").exists()  # one self-contained file
    assert _mode(copy) == 0o600 and _mode(copy.parent) == 0o700
    with Store(copy) as restored:
        assert [s.subject for s in restored.sessions()] == ["P-2", "P-1", "P-0"]


def test_backup_while_another_process_writes(tmp_path: Path, analysis: dict) -> None:
    db = tmp_path / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="A")
        with sqlite3.connect(db) as writer:  # an open write transaction while the backup runs
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("UPDATE subjects SET notes = 'uncommitted'")
            result = backup(tmp_path / "copy.db", db)
            writer.rollback()
    assert result.sessions == 1 and _sessions(tmp_path / "copy.db") == 1
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("SELECT notes FROM subjects").fetchone()[0] is None  # only what was committed


@pytest.mark.parametrize(
    ("db", "dest", "error", "match"),
    [
        ("postgresql://clinic:secret@db.example/hiprom", "x.db", StoreError, "pg_dump"),
        ("{tmp}/missing.db", "x.db", StoreError, "no records store at .*missing.db"),
        ("{tmp}/hiprom.db", "{tmp}/hiprom.db", OutputError, "exists; give a new file name"),
    ],
)
def test_backup_refusals_are_one_line(tmp_path: Path, db: str, dest: str, error: type, match: str) -> None:
    Store(tmp_path / "hiprom.db").close()
    with pytest.raises(error, match=match) as err:
        backup(tmp_path / dest.format(tmp=tmp_path), db.format(tmp=tmp_path))
    assert "secret" not in str(err.value) and "\n" not in str(err.value)


def test_restore_while_the_store_is_in_use_keeps_what_it_replaces(crashed_store: Path, tmp_path: Path,
                                                                   analysis: dict) -> None:
    """The store a crash left with a -wal (where putting the copy in place by hand corrupts both), and a
    server's open store: the backup comes back, the later sessions are kept aside, no number is given twice."""
    copy = tmp_path / "monday.db"
    backup(copy, crashed_store)
    with Store(crashed_store) as server:  # hiprom serve, still running
        later = server.save_analysis(analysis, subject="P-LATER")
        done = _hiprom("restore", copy, "--db", crashed_store, "--yes")
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"Restored 3 sessions of 3 subjects into {crashed_store}; "
                                      "the records before are kept in ")
        assert [s.subject for s in server.sessions()] == ["P-2", "P-1", "P-0"]  # its next read sees them
        new = server.save_analysis(analysis, subject="P-NEW")
    assert new.id > later.id  # the replaced session's number stays its own
    (kept,) = crashed_store.parent.glob("hiprom.before-restore-*.db")
    assert _sessions(kept) == 4 and _mode(kept) == 0o600
    with Store(kept) as before:
        assert before.session(later.id, with_analysis=False).subject == "P-LATER"
    assert _sessions(crashed_store) == 4


@pytest.mark.parametrize(
    ("backup_name", "db", "code", "match"),
    [
        ("nothere.db", "{tmp}/hiprom.db", 2, "nothere.db: no such backup file"),
        ("junk.db", "{tmp}/hiprom.db", 2, "junk.db: not a hiprom backup"),
        ("hiprom.db", "{tmp}/hiprom.db", 2, "hiprom.db: is the records store itself"),
        ("monday.db", "postgresql://clinic:secret@db.example/hiprom", 5, "pg_restore"),
    ],
)
def test_restore_refusals_are_one_line_and_change_nothing(tmp_path: Path, analysis: dict, backup_name: str,
                                                         db: str, code: int, match: str) -> None:
    store = tmp_path / "hiprom.db"
    with Store(store) as s:
        s.save_analysis(analysis, subject="A")
    backup(tmp_path / "monday.db", store)
    (tmp_path / "junk.db").write_text("not a database")
    done = _hiprom("restore", tmp_path / backup_name, "--db", db.format(tmp=tmp_path), "--yes")
    assert done.returncode == code and match in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "secret" not in done.stderr
    no_terminal = _hiprom("restore", tmp_path / "monday.db", "--db", store)  # no --yes and nobody to ask
    assert no_terminal.returncode == 2 and "restoring needs --yes" in no_terminal.stderr
    assert _sessions(store) == 1 and not list(tmp_path.glob("*before-restore*"))


def test_backup_to_a_full_disk_names_the_file(full_disk: Path, tmp_path: Path, analysis: dict) -> None:
    db = tmp_path / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="A")
    done = _hiprom("backup", full_disk / "copy.db", "--db", db)
    assert done.returncode == OutputError.exit_code and "Traceback" not in done.stderr, done.stderr
    assert f"{full_disk / 'copy.db'}: cannot write" in done.stderr
    assert not list(full_disk.glob("*copy.db*"))


def test_new_store_and_its_folder_are_private(tmp_path: Path, analysis: dict) -> None:
    db = tmp_path / "new" / "deeper" / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="A")
        assert _mode(db) == 0o600
        assert _mode(db.with_name("hiprom.db-wal")) == 0o600
    assert _mode(db.parent) == 0o700 and _mode(db.parent.parent) == 0o700


def test_outputs_are_private(tmp_path: Path) -> None:
    out = tmp_path / "results" / "visit.json"
    from hiprom.atomic import atomic_write

    with atomic_write(out, "w") as fh:
        fh.write("{}")
    assert _mode(out) == 0o600 and _mode(out.parent) == 0o700


def test_a_backup_from_before_schema_6_restored_gives_no_number_twice(tmp_path: Path, fixture_analysis: dict) -> None:
    """A backup taken before hiprom numbered with SQLite's AUTOINCREMENT (schema 6) keeps no counter. Before,
    restoring one left the store to number its next session after the backup's highest (2 here), though the
    store had given up to 5000 since (kept aside, and on paper); now its counters go on after those."""
    fixture_analysis.pop("series")
    old = tmp_path / "before-upgrade.db"
    with sqlite3.connect(old) as conn:  # a backup of schema 1, as hiprom 0.1.0 wrote: sessions 1 and 2
        conn.executescript((Path(__file__).with_name("data") / "schema_v1.sql").read_text())
        conn.execute("INSERT INTO subjects VALUES (1, 'OLD-1', NULL, NULL, NULL, '2026-01-02 03:04:05')")
        for sid in (1, 2):
            conn.execute("INSERT INTO sessions (id, subject_id, recorded_utc, saved_utc, mirrored, analysis_schema,"
                         " settings_json, norms_json, measurable, asymmetry_flagged, analysis_json) VALUES (?, 1,"
                         " '2026-01-02 03:04:05', '2026-01-02 03:04:05', 0, 'hiprom.analysis/1', '{}', '{}', 1, 0, ?)",
                         (sid, json.dumps(fixture_analysis)))
    db = tmp_path / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(fixture_analysis, subject="P-1")
    with sqlite3.connect(db) as conn:  # as if 5000 sessions had been saved since (and some deleted)
        conn.execute("UPDATE sqlite_sequence SET seq = 5000 WHERE name = 'sessions'")
    restore(old, db)
    with Store(db) as store:
        assert [s.id for s in store.sessions()] == [2, 1]
        assert store.save_analysis(fixture_analysis, subject="OLD-1").id == 5001


def test_a_save_during_a_restore_is_never_lost(tmp_path: Path, analysis: dict, monkeypatch) -> None:
    """The server saving while 'hiprom restore' runs. Before, a session committed between the copy kept
    aside and the replacement was in neither: gone, and its number given again. Now the replacement holds
    the store's write lock from before that copy is made: such a save waits and lands in the restored store
    (here a save that will not wait is told the store is busy, and nothing it did is lost)."""
    import hiprom.store.backup as backups

    db = tmp_path / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="P-1")
    monday = tmp_path / "monday.db"
    backup(monday, db)
    committed = []

    def kept_then_saved(dest, source=None):  # the server saves just after the copy is kept aside
        result = made(dest, source)
        if "before-restore" in str(dest):
            server = sqlite3.connect(db, timeout=0, isolation_level=None)
            try:
                server.execute("BEGIN IMMEDIATE")
                server.execute("INSERT INTO subjects (pseudonym, pseudonym_key, created_utc) "
                               "VALUES ('P-GAP', 'p-gap', '2026-12-06 09:00:00')")
                server.execute("COMMIT")
                committed.append("P-GAP")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc)
            finally:
                server.close()
        return result

    made = backups.backup
    monkeypatch.setattr(backups, "backup", kept_then_saved)
    restore(monday, db)
    (kept,) = tmp_path.glob("hiprom.before-restore-*.db")
    with Store(db) as now, Store(kept) as before:
        everywhere = {s.pseudonym for s in now.subjects()} | {s.pseudonym for s in before.subjects()}
        assert set(committed) <= everywhere
        assert now.save_analysis(analysis, subject="P-GAP").subject == "P-GAP"
