"""A session is saved whole or not at all, even when the process is killed; writers do not collide.

Child processes save sessions in a loop; the parent kills them (SIGKILL, no
clean-up possible) at seeded random moments, or at a known point inside the
transaction, then checks that every stored session has all its trials and
its series and that SQLite's integrity check passes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from hiprom.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

CHILD = textwrap.dedent(
    """
    import json, sys, time
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from hiprom.store import Store
    from hiprom.store.schema import TrialRow

    db, analysis_path, subject, count, stall = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    analysis = json.load(open(analysis_path))
    if stall == "stall":
        @event.listens_for(Session, "after_flush")
        def _stall(session, context):
            # the trials are written, the transaction is still open: hang here until killed
            if any(isinstance(o, TrialRow) for o in session.new):
                print("IN_TRANSACTION", flush=True)
                time.sleep(60)
    store = Store(db)
    if stall == "wait":  # start together with the other writer
        print("READY", flush=True)
        sys.stdin.readline()
    t0 = time.monotonic()
    for i in range(count):
        record = store.save_analysis(analysis, subject=subject if i % 2 else f"{subject}-{i}", operator=str(i))
        print("saved", record.id, flush=True)
    print("seconds", time.monotonic() - t0, file=sys.stderr, flush=True)
    """
)


@pytest.fixture
def setup(tmp_path: Path, analysis: dict) -> tuple[Path, Path, Path, int]:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    data = tmp_path / "analysis.json"
    data.write_text(json.dumps(analysis))
    return script, data, tmp_path / "hiprom.db", len(analysis["trials"])


def _start(script: Path, db: Path | str, data: Path, subject: str, count: int, stall: str = "-") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), str(db), str(data), subject, str(count), stall],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(proc: subprocess.Popen, marker: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(marker):
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"child ended before {marker!r}: {proc.stderr.read()}")
    raise AssertionError(f"no {marker!r} within {timeout_s} s")


def _check_whole(db: Path, n_trials: int) -> int:
    """Every session has its trials and series; returns the number of sessions."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = conn.execute(
            "SELECT s.id, (SELECT COUNT(*) FROM trials t WHERE t.session_id = s.id),"
            " (SELECT COUNT(*) FROM series r WHERE r.session_id = s.id),"
            " (SELECT COUNT(*) FROM subjects j WHERE j.id = s.subject_id) FROM sessions s"
        ).fetchall()
        orphans = conn.execute("SELECT COUNT(*) FROM trials WHERE session_id NOT IN (SELECT id FROM sessions)")
        assert orphans.fetchone()[0] == 0
    for session_id, trials, series, subjects in rows:
        assert (trials, series, subjects) == (n_trials, 1, 1), f"session {session_id} is partial"
    return len(rows)


def test_kill_inside_the_transaction_leaves_no_trace(setup) -> None:
    script, data, db, n_trials = setup
    proc = _start(script, db, data, "K", 3, stall="stall")
    _wait_for(proc, "IN_TRANSACTION")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _check_whole(db, n_trials) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM subjects").fetchone()[0] == 0  # its new subject went too
        assert conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 0


def test_kill_at_random_moments_leaves_every_session_whole_or_absent(setup) -> None:
    script, data, db, n_trials = setup
    rng = np.random.default_rng(6)
    saved_before = 0
    for round_ in range(5):
        proc = _start(script, db, data, f"R{round_}", 10_000)
        _wait_for(proc, "saved")
        time.sleep(float(rng.uniform(0.0, 0.25)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        n = _check_whole(db, n_trials)
        assert n > saved_before  # the store stays writable after each kill
        saved_before = n


def _count_whole(url: str, n_trials: int) -> tuple[int, int]:
    """Sessions (each checked whole) and those of subject 'shared', on any backend, through SQLAlchemy."""
    from sqlalchemy import create_engine, text

    from hiprom.store.location import resolve_url

    engine = create_engine(resolve_url(url))
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT s.id, (SELECT COUNT(*) FROM trials t WHERE t.session_id = s.id),"
            " (SELECT COUNT(*) FROM series r WHERE r.session_id = s.id),"
            " (SELECT COUNT(*) FROM subjects j WHERE j.id = s.subject_id) FROM sessions s")).all()
        shared = conn.execute(text(
            "SELECT COUNT(*) FROM sessions WHERE subject_id = (SELECT id FROM subjects WHERE pseudonym = 'shared')"
        )).scalar()
        subjects = conn.execute(text("SELECT COUNT(*) FROM subjects WHERE pseudonym = 'shared'")).scalar()
    engine.dispose()
    assert subjects == 1
    for session_id, trials, series, subjects in rows:
        assert (trials, series, subjects) == (n_trials, 1, 1), f"session {session_id} is partial"
    return len(rows), shared


def test_two_processes_writing_at_once_on_postgresql(setup, pg_url: str) -> None:
    """The same race on a PostgreSQL server: the shared subject is created once, no save fails."""
    script, data, _, n_trials = setup
    Store(pg_url).close()
    _race(script, pg_url, data)
    assert _count_whole(pg_url, n_trials) == (60, 30)


def _race(script: Path, db: Path | str, data: Path) -> None:
    procs = [_start(script, db, data, "shared", 30, stall="wait") for _ in range(2)]
    for proc in procs:
        _wait_for(proc, "READY")
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.count("saved") == 30


def test_two_processes_writing_at_once(setup) -> None:
    script, data, db, n_trials = setup
    Store(db).close()  # both find the schema made (creating it at once is covered by the lock too)
    _race(script, db, data)
    assert _check_whole(db, n_trials) == 60
    with sqlite3.connect(db) as conn:
        # odd-numbered saves of both processes went to the one shared subject, created once
        assert conn.execute(
            "SELECT COUNT(*) FROM sessions WHERE subject_id = (SELECT id FROM subjects WHERE pseudonym = 'shared')"
        ).fetchone()[0] == 30
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
