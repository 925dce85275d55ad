"""Schema versions: a fresh store records its version, old stores are upgraded, newer ones refused."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from hiprom.errors import StoreError
from hiprom.store import SCHEMA_VERSION, Store
from hiprom.store.migrations import MIGRATIONS, RESERVED_AT_V6

SCHEMA_V1 = Path(__file__).with_name("data") / "schema_v1.sql"


def _versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")]


def test_fresh_store_records_the_current_version(tmp_path: Path) -> None:
    with Store(tmp_path / "new.db") as store:
        assert store.migrated_from == 0
    assert _versions(tmp_path / "new.db") == [SCHEMA_VERSION]
    with Store(tmp_path / "new.db") as again:  # opening again changes nothing
        assert again.migrated_from == SCHEMA_VERSION
    assert _versions(tmp_path / "new.db") == [SCHEMA_VERSION]


def test_every_version_after_the_first_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(2, SCHEMA_VERSION + 1))


def test_version_1_store_is_upgraded_and_keeps_its_records(tmp_path: Path, fixture_analysis: dict) -> None:
    path = tmp_path / "v1.db"
    series = fixture_analysis.pop("series")
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1.read_text())
        conn.execute("INSERT INTO subjects VALUES (1, 'OLD-1', 'Old Name', '1950-06-07', NULL, '2026-01-02 03:04:05')")
        conn.execute(
            "INSERT INTO sessions (id, subject_id, recorded_utc, saved_utc, mirrored, analysis_schema, settings_json,"
            " norms_json, measurable, asymmetry_flagged, analysis_json, left_ir_deg)"
            " VALUES (1, 1, '2026-01-02 03:04:05', '2026-01-02 03:04:05', 0, 'hiprom.analysis/1',"
            " '{}', '{}', 1, 0, ?, 32.1)",
            (json.dumps(fixture_analysis),),
        )
        conn.execute("INSERT INTO series VALUES (1, 'json+gzip', ?, ?)",
                     (len(series["t_s"]), gzip.compress(json.dumps(series).encode())))
        judged = {**fixture_analysis, "asymmetry": {**fixture_analysis["asymmetry"], "verdicts": {
            "internal_rotation": "within", "external_rotation": "inconclusive", "total_arc": "within"}}}
        conn.execute(
            "INSERT INTO sessions (id, subject_id, recorded_utc, saved_utc, mirrored, analysis_schema, settings_json,"
            " norms_json, measurable, asymmetry_flagged, analysis_json)"
            " VALUES (2, 1, '2026-01-03 03:04:05', '2026-01-03 03:04:05', 0, 'hiprom.analysis/1',"
            " '{}', '{}', 1, 0, ?)",
            (json.dumps(judged),),
        )
        conn.execute("INSERT INTO series VALUES (2, 'json+gzip', ?, ?)",
                     (len(series["t_s"]), gzip.compress(json.dumps(series).encode())))
    assert _versions(path) == [1]

    with Store(path) as store:
        assert store.migrated_from == 1
        assert store.subject("OLD-1").name == "Old Name"
        old = store.session(1)
        assert old.left_ir_deg == 32.1 and old.analysis["series"] == series and not old.has_landmarks
        # v5 reads each stored session's verdict from its analysis: none before verdicts existed.
        assert old.asymmetry_verdict is None and store.session(2).asymmetry_verdict == "inconclusive"
        new = store.save_analysis({**fixture_analysis, "series": series}, subject="OLD-1", landmarks=b"npz")
        assert store.landmarks(new.id) == b"npz"
    assert _versions(path) == list(range(1, SCHEMA_VERSION + 1))


def test_store_from_a_newer_hiprom_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, '2030-01-01 00:00:00', '9.0.0')", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=rf"schema version {SCHEMA_VERSION + 1} is newer .* upgrade hiprom"):
        Store(path)


def test_a_database_that_is_not_a_hiprom_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY, what TEXT)")
    with pytest.raises(StoreError, match="no hiprom schema version"):
        Store(path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="notes.db: cannot open the store"):
        Store(path)


def test_version_4_store_gets_each_sessions_verdict_on_both_backends(db_url: str, analysis: dict) -> None:
    """v5 on SQLite and PostgreSQL: sessions saved before it are listed as "cannot tell" where they could not."""
    from sqlalchemy import create_engine, text

    with Store(db_url) as store:
        judged = store.save_analysis(analysis, subject="P-1").id  # the demo: IR and arc inconclusive
        older = dict(analysis, asymmetry={k: v for k, v in analysis["asymmetry"].items() if k != "verdicts"})
        unjudged = store.save_analysis(older, subject="P-1").id
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # what a store of version 4 looked like
        _back_to_v7(conn)
        conn.execute(text("ALTER TABLE sessions DROP COLUMN asymmetry_verdict"))
        conn.execute(text("ALTER TABLE sessions DROP COLUMN recording_sha256"))
        conn.execute(text("UPDATE schema_version SET version = 4 WHERE version = :v"), {"v": SCHEMA_VERSION})
    engine.dispose()

    with Store(db_url) as store:
        assert store.migrated_from == 4
        assert store.session(judged).asymmetry_verdict == "inconclusive"
        assert store.session(unjudged).asymmetry_verdict is None
        assert [s.asymmetry_verdict for s in store.sessions("P-1")] == [None, "inconclusive"]


def test_version_6_store_gets_each_sessions_recording_fingerprint_on_both_backends(db_url: str,
                                                                                     analysis: dict) -> None:
    """v7 on SQLite and PostgreSQL: a session's fingerprint is read from its stored analysis, where it holds
    one; a session an older hiprom analysed keeps none (and is told apart from every other)."""
    from sqlalchemy import create_engine, text

    fingerprint = analysis["recording_sha256"]
    with Store(db_url) as store:
        fingerprinted = store.save_analysis(analysis, subject="P-1").id
        older = store.save_analysis({k: v for k, v in analysis.items() if k != "recording_sha256"},
                                    subject="P-1").id
        assert store.session(fingerprinted).recording_sha256 == fingerprint
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # what a store of version 6 looked like
        _back_to_v7(conn)
        conn.execute(text("ALTER TABLE sessions DROP COLUMN recording_sha256"))
        conn.execute(text("UPDATE schema_version SET version = 6 WHERE version = :v"), {"v": SCHEMA_VERSION})
    engine.dispose()

    with Store(db_url) as store:
        assert store.migrated_from == 6
        assert store.session(fingerprinted).recording_sha256 == fingerprint
        assert store.session(older).recording_sha256 is None
        assert [f.recording_sha256 for f in store.figures("P-1")] == [fingerprint, None]


def test_version_8_store_gets_the_recording_index_and_the_same_mdc_on_both_backends(db_url: str,
                                                                                     analysis: dict) -> None:
    """v9 on SQLite and PostgreSQL: the index of the sessions by recording fingerprint, which the clinic's MDC
    searches (SQLite read every session's row for it); the re-tests found are those found before."""
    from sqlalchemy import create_engine, inspect, text

    with Store(db_url) as store:
        for minute, fingerprint in ((0, "a"), (30, "b"), (50, "a")):  # the third: the first's recording again
            store.save_analysis({**analysis, "recording_sha256": fingerprint * 64}, subject="P-1",
                                recorded_utc=f"2026-05-01T09:{minute:02d}:00Z")
        before = store.retest_figures()
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # what a store of version 8 looked like
        _back_to_v8(conn)
        conn.execute(text("UPDATE schema_version SET version = 8 WHERE version = :v"), {"v": SCHEMA_VERSION})
    with Store(db_url) as store:
        assert store.migrated_from == 8
        assert store.retest_figures() == before and len(before) == 3
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("sessions")}
    engine.dispose()
    assert indexes["ix_sessions_recording_sha256"] == ["recording_sha256"]


def _back_to_v9(conn) -> None:
    """Take a store's tables back from version 10 to 9 (on SQLite or PostgreSQL)."""
    from sqlalchemy import text

    conn.execute(text("ALTER TABLE sessions DROP COLUMN origin"))


def _back_to_v8(conn) -> None:
    """Take a store's tables back from version 10 to 8 (on SQLite or PostgreSQL)."""
    from sqlalchemy import text

    _back_to_v9(conn)
    conn.exec_driver_sql("DROP TRIGGER subjects_keyed" + (" ON subjects" if conn.dialect.name == "postgresql" else ""))
    conn.execute(text("DROP INDEX ix_sessions_recording_sha256"))


def _back_to_v7(conn) -> None:
    """Take a store's tables back from version 10 to 7 (on SQLite or PostgreSQL)."""
    from sqlalchemy import text

    _back_to_v8(conn)
    conn.execute(text("DROP INDEX ux_subjects_pseudonym_key"))
    conn.execute(text("ALTER TABLE subjects DROP COLUMN pseudonym_key"))


def _v1_store_with_two_sessions(path: Path, analysis: dict) -> None:
    """A version 1 store: subject 1 with sessions 1 and 2, each with its trials and series (ids 1..n)."""
    series = analysis.pop("series")
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA_V1.read_text())
        conn.execute("INSERT INTO subjects VALUES (1, 'OLD-1', NULL, NULL, NULL, '2026-01-02 03:04:05')")
        for sid in (1, 2):
            conn.execute(
                "INSERT INTO sessions (id, subject_id, recorded_utc, saved_utc, mirrored, analysis_schema,"
                " settings_json, norms_json, measurable, asymmetry_flagged, analysis_json)"
                " VALUES (?, 1, '2026-01-02 03:04:05', '2026-01-02 03:04:05', 0, 'hiprom.analysis/1',"
                " '{}', '{}', 1, 0, ?)", (sid, json.dumps(analysis)))
            conn.execute("INSERT INTO trials (session_id, position, side, direction, valid, flags_json)"
                         " VALUES (?, 0, 'left', 'internal', 1, '[]')", (sid,))
            conn.execute("INSERT INTO series VALUES (?, 'json+gzip', ?, ?)",
                         (sid, len(series["t_s"]), gzip.compress(json.dumps(series).encode())))


def test_upgrading_an_sqlite_store_keeps_every_row_and_numbers_are_never_given_again(
        tmp_path: Path, fixture_analysis: dict) -> None:
    path = tmp_path / "v1.db"
    _v1_store_with_two_sessions(path, fixture_analysis)
    with Store(path) as store:
        assert store.migrated_from == 1
        # Rebuilding sessions and subjects fired none of their ON DELETE CASCADEs.
        assert store.counts() == {"subjects": 1, "sessions": 2, "trials": 2, "series": 2, "landmarks": 0,
                                  "reference_readings": 0}
        assert [s.id for s in store.sessions("OLD-1")] == [2, 1] and store.session(2).analysis["series"]
        store.delete_session(2)
        # Numbering goes on RESERVED_AT_V6 past the highest stored at the upgrade (2), then never back.
        assert store.save_analysis(fixture_analysis, subject="OLD-1").id == 3 + RESERVED_AT_V6
        store.delete_session(3 + RESERVED_AT_V6)
        assert store.save_analysis(fixture_analysis, subject="OLD-1").id == 4 + RESERVED_AT_V6
        store.delete_session(1)  # cascades still work after the rebuild
        left = store.counts()
        assert (left["sessions"], left["series"], left["trials"]) == (1, 1, store.session(4 + RESERVED_AT_V6).n_trials)
    with sqlite3.connect(path) as conn:
        tables = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        assert all("AUTOINCREMENT" in tables[t] for t in ("subjects", "sessions", "reference_readings",
                                                           "exercise_results"))
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"ix_sessions_subject_recorded", "ix_reference_readings_session_id",
                "ix_exercise_results_session_id"} <= indexes


def test_a_number_deleted_before_the_v6_upgrade_is_not_given_again(db_url: str, fixture_analysis: dict) -> None:
    """A version 5 store (made by the old schema on SQLite; on PostgreSQL its tables were already v6's)
    whose highest session, 2, and highest subject were deleted: a clinician wrote "session 2" on paper.
    Before, the upgraded SQLite store numbered the next session 2 again (a note or a printed report then
    named another person's visit); now it goes on after a reserve, and PostgreSQL after its sequence."""
    from sqlalchemy import create_engine, text

    if db_url.startswith("postgresql"):
        with Store(db_url) as store:
            for _ in (1, 2):
                store.save_analysis(fixture_analysis, subject="OLD-1")
            store.add_subject("OLD-2")
        url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    else:
        _v1_store_with_two_sessions(Path(db_url), fixture_analysis)
        url = f"sqlite:///{db_url}"
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO subjects VALUES (2, 'OLD-2', NULL, NULL, NULL, '2026-01-02 03:04:05')"))
            for version in range(2, 6):
                MIGRATIONS[version](conn)
                conn.execute(text("INSERT INTO schema_version VALUES (:v, '2026-01-03 00:00:00', '0.1.0')"),
                             {"v": version})
        else:
            _back_to_v7(conn)
            conn.execute(text("ALTER TABLE sessions DROP COLUMN recording_sha256"))  # v7's
            conn.execute(text("UPDATE schema_version SET version = 5 WHERE version = :v"), {"v": SCHEMA_VERSION})
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")  # as the old hiprom deleted
        with conn.begin():
            conn.execute(text("DELETE FROM sessions WHERE id = 2"))
            conn.execute(text("DELETE FROM subjects WHERE pseudonym = 'OLD-2'"))
            assert conn.execute(text("SELECT COUNT(*) FROM series")).scalar() == 1
    engine.dispose()

    with Store(db_url) as store:
        assert store.migrated_from == 5 and [s.id for s in store.sessions()] == [1]
        new = store.save_analysis(fixture_analysis, subject="OLD-3")
        assert new.id > 2 and store.subject("OLD-3").id > 2, (new.id, store.subject("OLD-3").id)
        store.delete_session(new.id)
        assert store.save_analysis(fixture_analysis, subject="OLD-1").id == new.id + 1


def test_a_number_deleted_before_v6_and_still_named_elsewhere_is_never_given_again(
        tmp_path: Path, fixture_analysis: dict) -> None:
    """Sessions 3 to 1600 of a pre-v6 store, deleted in SQLite's own shell (foreign keys off there), left
    session 1600's trial and series behind. Before, the upgrade counted its reserve from the highest
    session stored (2) and gave 1003 to 1600 again in turn; now from the highest any table names."""
    path = tmp_path / "v1.db"
    _v1_store_with_two_sessions(path, fixture_analysis)
    with sqlite3.connect(path) as conn:  # foreign keys off, as in the sqlite3 shell
        conn.execute("INSERT INTO trials (session_id, position, side, direction, valid, flags_json)"
                     " VALUES (1600, 0, 'left', 'internal', 1, '[]')")
    with Store(path) as store:
        assert store.migrated_from == 1
        assert store.save_analysis(fixture_analysis, subject="OLD-1").id == 1601 + RESERVED_AT_V6


def test_an_upgrade_that_fails_midway_leaves_the_store_as_it_was(tmp_path: Path, fixture_analysis: dict,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from hiprom.store import migrations

    path = tmp_path / "v1.db"
    _v1_store_with_two_sessions(path, fixture_analysis)
    rebuild = migrations._rebuild_autoincrement

    def fail_at_readings(conn, name):  # subjects and sessions already rebuilt when this fails
        if name == "reference_readings":
            raise RuntimeError("power cut")
        rebuild(conn, name)

    monkeypatch.setattr(migrations, "_rebuild_autoincrement", fail_at_readings)
    with pytest.raises(RuntimeError, match="power cut"):
        Store(path)
    assert _versions(path) == [1]
    with sqlite3.connect(path) as conn:
        assert "AUTOINCREMENT" not in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'sessions'").fetchone()[0]
        assert [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("subjects", "sessions", "trials",
                                                                                  "series")] == [1, 2, 2, 2]
    monkeypatch.undo()
    with Store(path) as store:
        assert store.migrated_from == 1 and store.counts()["trials"] == 2


def _v7_store(db_url: str, analysis: dict, pseudonyms: tuple[str, ...]):
    """A store of version 7 holding ``pseudonyms`` (stored as an older hiprom could, alike ones too), a session
    each; returns an engine on it."""
    from sqlalchemy import create_engine, text

    with Store(db_url) as store:
        for code in pseudonyms:
            store.save_analysis(analysis, subject=f"TMP-{len(code)}-{sum(map(ord, code))}")
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        _back_to_v7(conn)
        for code in pseudonyms:
            conn.execute(text("UPDATE subjects SET pseudonym = :p WHERE pseudonym = :t"),
                         {"p": code, "t": f"TMP-{len(code)}-{sum(map(ord, code))}"})
        conn.execute(text("DELETE FROM schema_version WHERE version = :v"), {"v": SCHEMA_VERSION})
        conn.execute(text("INSERT INTO schema_version VALUES (7, '2026-01-03 00:00:00', '0.1.0')"))
    return engine


def _rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table of records, as stored (the columns v8 and v9 add left out)."""
    from sqlalchemy import MetaData, select

    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return {name: [tuple(v for k, v in row._mapping.items() if k not in ("pseudonym_key", "origin"))
                       for row in conn.execute(select(t).order_by(*t.primary_key.columns))]
                for name, t in tables.tables.items() if name != "schema_version"}


def test_version_7_store_gets_each_pseudonyms_key_and_keeps_every_row(db_url: str, fixture_analysis: dict) -> None:
    """v8 on SQLite and PostgreSQL: adding a subject compared its pseudonym with every stored one in Python
    (87 ms at 2,000 subjects); now with one key in a unique index, filled for the subjects stored before.
    Every row stored before is as it was, byte for byte; the one-person rule holds as before."""
    engine = _v7_store(db_url, fixture_analysis, ("Élise-1", "P-0042", "Straße-9"))
    before = _rows(engine)
    with Store(db_url) as store:
        assert store.migrated_from == 7
        assert store.subject("elise-1").pseudonym == "Élise-1" and store.subject("STRASSE-9").pseudonym == "Straße-9"
        with pytest.raises(StoreError, match="'P-0042' already exists .*differ only in capitals or accents"):
            store.add_subject("p-0042")
        assert store.rename_subject("P-0042", "p-0042").pseudonym == "p-0042"  # its own, in other capitals
        store.rename_subject("p-0042", "P-0042")
    after = _rows(engine)
    assert after == before
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT pseudonym, pseudonym_key FROM subjects")).all())
        with pytest.raises(IntegrityError):  # one person twice, even written past hiprom's own check
            conn.execute(text("INSERT INTO subjects (pseudonym, pseudonym_key, created_utc) "
                              "VALUES ('p-0042', 'p-0042', '2026-01-01 00:00:00')"))
    engine.dispose()
    assert keys == {"Élise-1": "elise-1", "P-0042": "p-0042", "Straße-9": "strasse-9"}


def test_a_store_holding_one_person_twice_is_upgraded_telling_them_apart(db_url: str, fixture_analysis: dict,
                                                                       hiprom) -> None:
    """A store where an older hiprom kept 'P-0042' and 'p-0042' as two subjects cannot take the unique key.
    Before, it was refused until one was renamed "with the hiprom that stored them": a clinic that had
    upgraded could not open its records at all, not even to rename (exit code 5). Now the first command
    upgrades it: the later subject is renamed (its number added: 'p-0042-2', or the first such name
    free), its notes keep the old
    pseudonym, one line says what happened and how to join them, and every other value stays."""
    engine = _v7_store(db_url, fixture_analysis, ("P-0042", "p-0042", "P-0042-2", "ÉLISE", "Elise", "B-1"))
    before = _rows(engine)
    engine.dispose()

    code, out, err = hiprom("subjects", "list", "--db", db_url)
    assert code == 0, err
    notice = [line for line in err.splitlines() if "told apart" in line]
    assert len(notice) == 1 and notice[0].startswith("hiprom: "), err
    assert ("'p-0042' (number 2) is now 'p-0042-2-2', beside 'P-0042' (number 1); 'Elise' (number 5) is now "
            "'Elise-5', beside 'ÉLISE' (number 4)" in notice[0]), notice
    assert "'hiprom sessions move N --subject P-0042'" in notice[0]
    assert all(p in out for p in ("P-0042", "p-0042-2-2", "P-0042-2", "ÉLISE", "Elise-5", "B-1")), out
    with Store(db_url) as store:
        assert store.migrated_from == SCHEMA_VERSION  # upgraded by the first command, once
        renamed = store.subject(2)
        assert renamed.pseudonym == "p-0042-2-2" and renamed.n_sessions == 1
        assert renamed.notes.startswith("Pseudonym 'p-0042' until ") and "subject 1 is 'P-0042'" in renamed.notes
        assert store.subject("p-0042").id == 1 and store.subject("elise").id == 4
        session = store.sessions(2)[0].id
        store.move_session(session, "P-0042")  # one person after all: joined with this hiprom
        assert [s.subject for s in store.sessions("P-0042")] == ["P-0042", "P-0042"]
    with Store(db_url) as store:
        after = _rows(store.engine)
    changed = {row[0] for row in after["subjects"]} - {row[0] for row in before["subjects"] if row in after["subjects"]}
    assert changed == {2, 5}  # only the renamed subjects' rows differ (pseudonym and notes)
    assert len(after["sessions"]) == len(before["sessions"]) and after["trials"] == before["trials"]


_OLDER_HIPROMS_INSERT = ("INSERT INTO subjects (pseudonym, name, date_of_birth, notes, created_utc) "
                         "VALUES (:p, NULL, NULL, NULL, '2026-01-02 03:04:05')")
"""How a hiprom older than schema version 8 (no ``pseudonym_key``) adds a subject."""


def test_a_subject_an_older_running_hiprom_added_is_found_after_the_upgrade_and_then_refused(
        db_url: str, fixture_analysis: dict, hiprom) -> None:
    """Two laptops on one store: the first upgraded hiprom (the store went to version 8) while the second's
    older server kept running and added P-0050 without a key. Before, no look-up found P-0050 ('no subject
    'P-0050'', exit code 5) and a visit saved as p-0050 started a second subject for that person. Now the
    upgrade keys it (told apart from the second, as at v8), and the older server's next new subject is
    refused with a line saying to upgrade it, nothing written."""
    from sqlalchemy import create_engine, text

    with Store(db_url) as store:
        store.save_analysis(fixture_analysis, subject="P-0001")
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # version 8 as it stood: the older server's P-0050, then p-0050 by this one
        _back_to_v8(conn)
        conn.execute(text("UPDATE schema_version SET version = 8 WHERE version = :v"), {"v": SCHEMA_VERSION})
        conn.execute(text(_OLDER_HIPROMS_INSERT), {"p": "P-0050"})
        conn.execute(text("INSERT INTO subjects (pseudonym, pseudonym_key, created_utc) "
                          "VALUES ('p-0050', 'p-0050', '2026-01-03 03:04:05')"))

    code, out, err = hiprom("subjects", "show", "p-0050", "--db", db_url)
    assert code == 0 and "P-0050" in out, err
    assert "'p-0050' (number 3) is now 'p-0050-3', beside 'P-0050' (number 2)" in err
    with engine.connect() as conn, pytest.raises(Exception) as refused:
        conn.execute(text(_OLDER_HIPROMS_INSERT), {"p": "P-0051"})
    assert "this store is kept by a newer hiprom" in str(refused.value) and "upgrade hiprom here too" in str(
        refused.value)
    with Store(db_url) as store:
        assert [s.pseudonym for s in store.subjects()] == ["P-0001", "P-0050", "p-0050-3"]
    engine.dispose()


def test_version_9_store_opens_with_every_session_tested_here(db_url: str, analysis: dict) -> None:
    """v10 on SQLite and PostgreSQL: the sessions stored before it have no origin (none was imported as such),
    and an import after it marks its own."""
    from sqlalchemy import create_engine, text

    with Store(db_url) as store:
        number = store.save_analysis(analysis, subject="P-1").id
    url = db_url if "://" in db_url else f"sqlite:///{db_url}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # what a store of version 9 looked like
        _back_to_v9(conn)
        conn.execute(text("UPDATE schema_version SET version = 9 WHERE version = :v"), {"v": SCHEMA_VERSION})
    engine.dispose()

    with Store(db_url) as store:
        assert store.migrated_from == 9
        assert store.session(number).origin is None
        assert [v["origin"] for v in store.visits("P-1")] == [None]
