"""A patient's rights over their records: a copy of all of it (portability), and all of it erased (erasure).

Before, ``hiprom subjects delete`` left the erased person's name and notes in an SQLite store's ``-wal``
file while the store stayed open (the live server), said nothing of the backups and exports that still
hold them, and no one command gave a patient their records: ``sessions export`` wants each session's
number, and leaves the kept landmark recordings out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from hiprom.store import ReferenceInput, Store
from hiprom.store.copy import TABLES
from tests.store.test_copy import COUNTED, PROGRAM

SECRETS = ("Zelda Erasewright", "secret-notes-xyzzy", "visit-note-qwerty", "rater-plugh")
"""What the erased person's records say, that nothing of the store may hold afterwards."""


def _clinic(db: str, analysis: dict) -> dict[str, int]:
    """Z-1, to be erased, with every kind of record; K-1, who stays. Returns the rows K-1 alone holds."""
    with Store(db) as store:
        store.add_subject("K-1", name="Kept Person")
        store.save_analysis(analysis, subject="K-1", recorded_utc="2026-03-01T09:00:00Z")
        kept = {t.name: n for t in TABLES if (n := _rows(store, t))}
        store.add_subject("Z-1", name=SECRETS[0], notes=SECRETS[1])
        for day in (2, 9):
            session = store.save_analysis(analysis, subject="Z-1", notes=SECRETS[2], landmarks=b"npz of Z-1",
                                          recorded_utc=f"2026-03-0{day}T09:00:00Z")
            store.add_reference(session.id, ReferenceInput(instrument="goniometer", rater=SECRETS[3],
                                                           left_ir_deg=30.0))
            store.set_program(session.id, PROGRAM)
            store.add_exercise_result(session.id, COUNTED, recorded_utc=f"2026-03-0{day}T09:30:00Z")
    return kept


def _rows(store: Store, table: object) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(table)) or 0


def test_a_subject_deleted_leaves_no_record_and_no_byte_in_the_store_or_a_later_backup(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    with Store(db_url) as server:  # the live server keeps the store open while Z-1's visits are saved and erased
        server.subjects()
        kept = _clinic(db_url, fixture_analysis)
        code, out, err = hiprom("subjects", "delete", "Z-1", "--yes", "--db", db_url)

        assert code == 0, err
        assert out.splitlines() == [
            "Deleted subject Z-1 and 2 sessions, with their readings, home programs, counted exercises and "
            "landmark recordings; nothing of them is left in the store, nor in backups made from now on.",
            "Not erased by this: backups made before now (hiprom backup, the '.before-restore-' copies, pg_dump "
            "files) and files exported or reports written of Z-1; delete those where they are kept."]
        assert {t.name: n for t in TABLES if (n := _rows(server, t))} == kept
        if db_url.endswith(".db"):
            assert hiprom("backup", str(tmp_path / "after.db"), "--db", db_url)[0] == 0
            for path in (Path(db_url), Path(db_url + "-wal"), tmp_path / "after.db"):
                held = path.read_bytes() if path.exists() else b""
                assert not [s for s in SECRETS if s.encode() in held], path


def test_one_command_gives_a_patient_all_their_records_in_open_formats(
        tmp_path: Path, db_url: str, fixture_analysis: dict, hiprom: Callable) -> None:
    _clinic(db_url, fixture_analysis)
    out_path = tmp_path / "z-1.json"

    code, out, err = hiprom("subjects", "export", "z-1", "-o", str(out_path), "--db", db_url)

    assert code == 0, err
    assert out.splitlines() == [
        f"Wrote everything stored of Z-1: 2 sessions with their details, analyses, readings, programs and counted "
        f"exercises to {out_path}, and 2 landmark recordings beside it.",
        f"  {tmp_path / 'z-1.session-2.landmarks.npz'}", f"  {tmp_path / 'z-1.session-3.landmarks.npz'}"]
    items = json.loads(out_path.read_text(encoding="utf-8"))
    assert [i["session"]["recorded_utc"] for i in items] == ["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"]
    assert {i["subject"]["name"] for i in items} == {SECRETS[0]} and items[0]["subject"]["notes"] == SECRETS[1]
    assert all(i["analysis"]["series"] and i["references"][0]["rater"] == SECRETS[3] and i["program"]
               and i["exercise_results"] for i in items)
    assert (tmp_path / "z-1.session-2.landmarks.npz").read_bytes() == b"npz of Z-1"
    assert out_path.stat().st_mode & 0o777 == 0o600

    with Store(str(tmp_path / "other.db")) as other:  # and another clinic can load it
        where = other.url.render_as_string(hide_password=False)
    assert hiprom("store", "import", str(out_path), "--db", where)[0] == 0


def test_a_subject_without_sessions_is_told_where_their_details_are(db_url: str, tmp_path: Path,
                                                                    hiprom: Callable) -> None:
    with Store(db_url) as store:
        store.add_subject("E-1", name="Empty")
    code, out, err = hiprom("subjects", "export", "E-1", "-o", str(tmp_path / "e.json"), "--db", db_url)
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert "subject 'E-1' has no stored session; all the store holds of them is in 'hiprom subjects show E-1 --json'" in err
    assert not (tmp_path / "e.json").exists()
