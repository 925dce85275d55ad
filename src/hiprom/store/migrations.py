"""Schema versions and the migration runner.

The store records its version in ``schema_version`` (one row per step
applied). Opening a store:

- a fresh database gets the current tables and the current version;
- an older store is upgraded by the steps in :data:`MIGRATIONS`, in order,
  each in the same transaction as its version row (a crash mid-upgrade leaves
  the old version, on PostgreSQL and SQLite alike, since both have
  transactional DDL);
- a store written by a newer hiprom is refused with a ``StoreError``.

Each step uses its own frozen table definitions, never the current ORM
classes, so that it still does what it did when it was written.

History:

- v1: subjects, sessions, trials, series.
- v2: ``landmarks``, the optional ``.landmarks.npz`` of a session.
- v3: ``reference_readings``, a clinician's own instrument readings of a session.
- v4: ``home_programs`` and ``exercise_results``: the exercises kept and counted for a session.
- v5: ``sessions.asymmetry_verdict``, the left/right verdict of each session, so lists can say
  "cannot tell" where ``asymmetry_flagged`` only says "not flagged".
- v6: on SQLite, ``subjects``, ``sessions``, ``reference_readings`` and ``exercise_results``
  rebuilt with ``AUTOINCREMENT``, so a deleted row's number is never given again, and their
  numbering carried on :data:`RESERVED_AT_V6` past the highest stored or still named by another
  table, over any number the store gave before and no longer holds (PostgreSQL's serial sequences already never go back:
  nothing to do there).
- v7: ``sessions.recording_sha256``, the fingerprint of the recording a session was analysed from, so
  the same recording analysed twice counts once, never as a re-test of itself; read from the stored
  analysis where it holds one (an older hiprom's never does: those sessions keep ``NULL``).
- v8: ``subjects.pseudonym_key``, each pseudonym :func:`~hiprom.parsing.folded` (capitals and accents
  aside), unique: finding a subject, or that a pseudonym is taken, is one look-up in its index
  rather than a comparison with every stored pseudonym, and two subjects for one person can no
  longer be stored even by two programs at once. Where an older hiprom stored two pseudonyms that fold
  alike, the later subject is renamed first, and the upgrade says so (:func:`_tell_apart`).
- v9: ``ix_sessions_recording_sha256``, the sessions by recording fingerprint: the clinic's MDC
  (``Store.retest_figures``) searches it for the sessions of a re-tested recording; SQLite read
  every session's row for them. And every subject keyed again, a subject without a key refused
  from then on (:data:`~hiprom.store.schema.SUBJECT_KEY_GUARD`): a hiprom older than v8 that
  was running when the store was upgraded added subjects no look-up by pseudonym found.
- v10: ``sessions.origin``, the export file a session was imported from (``hiprom store import``), so a
  history tells the tests done with this store from those sent in (a patient's self-tests at home);
  ``NULL`` for every session stored before, none of which can be told apart.

SQLite migrations run with foreign keys off (``PRAGMA foreign_keys`` cannot
change inside a transaction, so it is set just before it): dropping a table
that is rebuilt must not fire its ``ON DELETE CASCADE``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine

from hiprom import __version__
from hiprom.errors import StoreError
from hiprom.parsing import folded
from hiprom.store.records import PSEUDONYM_MAX
from hiprom.store.schema import SCHEMA_VERSION, SUBJECT_KEY_GUARD, Base, SchemaVersionRow


def _v2_landmarks(conn: Connection) -> None:
    """v2: a table for the optional landmark recording of each session."""
    frozen = MetaData()
    Table("sessions", frozen, Column("id", Integer, primary_key=True))
    Table(
        "landmarks",
        frozen,
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        Column("format", String(40), nullable=False),
        Column("n_frames", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
    ).create(conn)


def _v3_reference_readings(conn: Connection) -> None:
    """v3: a table of reference readings (goniometer, inclinometer) beside each session."""
    frozen = MetaData()
    Table("sessions", frozen, Column("id", Integer, primary_key=True))
    table = Table(
        "reference_readings",
        frozen,
        Column("id", Integer, primary_key=True),
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        Column("instrument", String(20), nullable=False),
        Column("rater", String(200)),
        Column("left_ir_deg", Float),
        Column("left_er_deg", Float),
        Column("right_ir_deg", Float),
        Column("right_er_deg", Float),
        Column("notes", Text),
        Column("created_utc", DateTime, nullable=False),
    )
    Index("ix_reference_readings_session_id", table.c.session_id)
    table.create(conn)


def _v4_exercises(conn: Connection) -> None:
    """v4: the home program and the counted exercises of each session."""
    frozen = MetaData()
    Table("sessions", frozen, Column("id", Integer, primary_key=True))
    Table(
        "home_programs",
        frozen,
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
        Column("updated_utc", DateTime, nullable=False),
        Column("n_items", Integer, nullable=False),
        Column("program_json", Text, nullable=False),
    ).create(conn)
    results = Table(
        "exercise_results",
        frozen,
        Column("id", Integer, primary_key=True),
        Column("session_id", Integer, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
        Column("recorded_utc", DateTime, nullable=False),
        Column("exercise", String(40), nullable=False),
        Column("side", String(8), nullable=False),
        Column("direction", String(10), nullable=False),
        Column("reps_done", Integer, nullable=False),
        Column("reps_target", Integer, nullable=False),
        Column("result_json", Text, nullable=False),
    )
    results.create(conn)
    Index("ix_exercise_results_session_id", results.c.session_id).create(conn)


def _v5_asymmetry_verdict(conn: Connection) -> None:
    """v5: each session's left/right verdict (exceeds, inconclusive, within), read from its stored analysis."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN asymmetry_verdict VARCHAR(12)"))
    ids = [session_id for (session_id,) in conn.execute(text("SELECT id FROM sessions"))]
    for session_id in ids:  # one analysis in memory at a time, however large the clinic's store
        analysis_json = conn.execute(text("SELECT analysis_json FROM sessions WHERE id = :id"),
                                     {"id": session_id}).scalar()
        try:
            verdicts = (json.loads(analysis_json).get("asymmetry") or {}).get("verdicts") or {}
        except (TypeError, ValueError, AttributeError):  # unreadable: left without a verdict, as before
            continue
        # Frozen here (the rule of hiprom.assessment.summary.overall_verdict at v5): the worst verdict.
        found = set(verdicts.values()) if isinstance(verdicts, dict) else set()
        verdict = next((v for v in ("exceeds", "inconclusive", "within") if v in found), None)
        if verdict is not None:
            conn.execute(text("UPDATE sessions SET asymmetry_verdict = :v WHERE id = :id"),
                         {"v": verdict, "id": session_id})


_V6_TABLES = ("subjects", "sessions", "reference_readings", "exercise_results")
"""The tables whose numbers users see (in reports, URLs, CSV imports, ``delete`` commands)."""

RESERVED_AT_V6 = 1000
"""Numbers an SQLite store's v6 upgrade leaves unused after the highest it holds, in each of :data:`_V6_TABLES`.

Before v6, SQLite numbered a new row one past the highest stored, and the store
kept no trace of rows deleted from the top (their trials, series and readings
went with them): session 12, deleted, would be given again to the next visit, while a clinician's
note or a printed report still says "session 12". The upgrade cannot tell how
many numbers were given and deleted so, so it leaves this many unused: the
first session saved after the upgrade of a store whose highest is 11 is 1012.
"""


def _v6_ids_never_reused(conn: Connection) -> None:
    """v6: SQLite gives a deleted row's id again unless the table is AUTOINCREMENT; rebuild those tables."""
    if conn.dialect.name != "sqlite":
        return
    for name in _V6_TABLES:
        _rebuild_autoincrement(conn, name)


def _rebuild_autoincrement(conn: Connection, name: str) -> None:
    """Rebuild table ``name`` as it stands (reflected: columns, keys, checks) plus ``AUTOINCREMENT``.

    SQLite's way to change a table: a new one, the rows copied with their
    ids, the old one dropped, the new one renamed, its indexes made again.
    Its counter (``sqlite_sequence``) then goes on after the highest number
    the table ever gave: the old counter where the table kept one already,
    else :data:`RESERVED_AT_V6` past the highest stored or still named by
    another table (:func:`_highest_named`).
    """
    indexes = [sql for (sql,) in conn.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": name})]
    kept = _sqlite_counter(conn, name)
    reflected = MetaData()  # holds the tables its foreign keys name too
    old = Table(name, reflected, autoload_with=conn)
    draft = f"_v6_{name}"
    new = old.to_metadata(reflected, name=draft)
    new.indexes.clear()  # made again below under their own names, once the old table is gone
    new.dialect_kwargs["sqlite_autoincrement"] = True
    new.create(conn)
    columns = ", ".join(f'"{c.name}"' for c in old.columns)
    conn.execute(text(f'INSERT INTO "{draft}" ({columns}) SELECT {columns} FROM "{name}"'))
    conn.execute(text(f'DROP TABLE "{name}"'))
    conn.execute(text(f'ALTER TABLE "{draft}" RENAME TO "{name}"'))
    for sql in indexes:
        conn.execute(text(sql))
    highest = max(conn.execute(text(f'SELECT MAX(id) FROM "{name}"')).scalar() or 0, _highest_named(conn, name))
    issued = kept if kept is not None else highest + RESERVED_AT_V6
    conn.execute(text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": name})
    conn.execute(text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"), {"t": name, "n": issued})


_NAMED_BY = {"subjects": (("sessions", "subject_id"),),
             "sessions": tuple((t, "session_id") for t in ("trials", "series", "landmarks", "reference_readings",
                                                          "home_programs", "exercise_results"))}
"""Where else a pre-v6 store writes the numbers of :data:`_V6_TABLES` (table, column)."""


def _highest_named(conn: Connection, name: str) -> int:
    """The highest number of table ``name`` that another table still names (0 if none).

    A row deleted with foreign keys off (SQLite's own shell has them off) leaves its trials, series or
    readings behind, naming it: the one trace a pre-v6 store keeps of a number given and deleted, so
    the reserve is counted from there.
    """
    found = 0
    for table, column in _NAMED_BY.get(name, ()):
        if inspect(conn).has_table(table):
            found = max(found, conn.execute(text(f'SELECT MAX("{column}") FROM "{table}"')).scalar() or 0)
    return int(found)


def _sqlite_counter(conn: Connection, name: str) -> int | None:
    """The highest number table ``name`` has given, if it is ``AUTOINCREMENT`` already (else ``None``)."""
    sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": name}).scalar()
    if "AUTOINCREMENT" not in (sql or "").upper():
        return None
    return conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = :t"), {"t": name}).scalar() or 0


def _v7_recording_sha256(conn: Connection) -> None:
    """v7: each session's recording fingerprint, read from its stored analysis where it holds one."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN recording_sha256 VARCHAR(64)"))
    ids = [session_id for (session_id,) in conn.execute(
        text("SELECT id FROM sessions WHERE analysis_json LIKE '%\"recording_sha256\"%'"))]
    for session_id in ids:  # one analysis in memory at a time, as v5
        analysis_json = conn.execute(text("SELECT analysis_json FROM sessions WHERE id = :id"),
                                     {"id": session_id}).scalar()
        try:
            fingerprint = json.loads(analysis_json).get("recording_sha256")
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(fingerprint, str) and re.fullmatch("[0-9a-f]{64}", fingerprint):
            conn.execute(text("UPDATE sessions SET recording_sha256 = :f WHERE id = :id"),
                         {"f": fingerprint, "id": session_id})


def _v8_pseudonym_key(conn: Connection) -> str | None:
    """v8: each subject's pseudonym folded, in a unique column (:func:`_key_pseudonyms`)."""
    conn.execute(text("ALTER TABLE subjects ADD COLUMN pseudonym_key TEXT"))
    return _key_pseudonyms(conn)


def _key_pseudonyms(conn: Connection) -> str | None:
    """Every subject's ``pseudonym_key`` set from its pseudonym, under a new unique index; two that fold alike
    are told apart first (:func:`_tell_apart`), and the line returned says which."""
    subjects, renamed = _tell_apart(conn)
    if subjects:
        conn.execute(text("UPDATE subjects SET pseudonym_key = :key WHERE id = :id"),
                     [{"key": folded(code), "id": number} for number, code in subjects])
    conn.execute(text("CREATE UNIQUE INDEX ux_subjects_pseudonym_key ON subjects (pseudonym_key)"))
    if not renamed:
        return None
    shown = "; ".join(f"{old!r} (number {number}) is now {new!r}, beside {kept!r} (number {first})"
                      for number, old, new, first, kept in renamed[:3])
    more = f"; and {len(renamed) - 3} more" if len(renamed) > 3 else ""
    number, _old, _new, _first, kept = renamed[0]
    return (f"subjects whose pseudonyms differed only in capitals or accents, which this hiprom takes for one "
            f"person, were told apart: {shown}{more}; their notes keep the old pseudonym; if two are one person, "
            f"move the sessions of one to the other ('hiprom sessions list --subject {number}', then "
            f"'hiprom sessions move N --subject {kept}')")


RENAMED_AT_V8 = "Pseudonym {old!r} until {day}, when the store's upgrade renamed it: subject {first} is {kept!r}"
"""The line the v8 upgrade adds to the notes of a subject it renames (what it was, when, and why)."""


def _tell_apart(conn: Connection) -> tuple[list[tuple[int, str]], list[tuple[int, str, str, int, str]]]:
    """Rename each subject whose pseudonym folds like an earlier one's; returns every subject
    ``(number, pseudonym)`` as it now is, and the renames ``(number, old, new, first's number, first's)``.

    An older hiprom could store ``P-0042`` and ``p-0042`` as two subjects; v8 takes them for one
    person. The lower number keeps its pseudonym; each later one becomes ``p-0042-2`` (its
    pseudonym, a hyphen and its number, or the first such name still free), and its notes keep
    the old pseudonym (:data:`RENAMED_AT_V8`). Nothing else changes: whether they are one person
    is the clinic's to say (``hiprom sessions move``).
    """
    rows = conn.execute(text("SELECT id, pseudonym, notes FROM subjects ORDER BY id")).all()
    taken = {folded(code) for _number, code, _notes in rows}
    first: dict[str, tuple[int, str]] = {}
    subjects, renamed = [], []
    day = datetime.now(timezone.utc).date().isoformat()
    for number, code, notes in rows:
        key = folded(code)
        if key not in first:
            first[key] = (number, code)
            subjects.append((number, code))
            continue
        new = _free_pseudonym(code, number, taken)
        taken.add(folded(new))
        line = RENAMED_AT_V8.format(old=code, day=day, first=first[key][0], kept=first[key][1])
        conn.execute(text("UPDATE subjects SET pseudonym = :p, notes = :n WHERE id = :id"),
                     {"p": new, "n": f"{notes}\n{line}" if notes else line, "id": number})
        subjects.append((number, new))
        renamed.append((number, code, new, *first[key]))
    return subjects, renamed


def _free_pseudonym(code: str, number: int, taken: set[str]) -> str:
    """``code`` with ``-number`` (then ``-number-2``, ...) added, cut to fit 64 characters, whose folded form
    is not in ``taken``."""
    tail, attempt = f"-{number}", 1
    while folded(candidate := code[:PSEUDONYM_MAX - len(tail)] + tail) in taken:
        attempt += 1
        tail = f"-{number}-{attempt}"
    return candidate


def _v9_recording_index(conn: Connection) -> str | None:
    """v9: an index of the sessions by recording fingerprint, so the clinic's MDC finds the sessions of a
    re-tested recording without reading every session; and every subject keyed again, then guarded.

    A hiprom older than v8 still running when the store was upgraded (another laptop's server) added
    subjects without a key, which no look-up by pseudonym finds: they are keyed (told apart from
    another of the same person, as at v8), and such rows are refused from now on (``SUBJECT_KEY_GUARD``).
    """
    conn.execute(text("CREATE INDEX ix_sessions_recording_sha256 ON sessions (recording_sha256)"))
    conn.execute(text("DROP INDEX ux_subjects_pseudonym_key"))
    said = _key_pseudonyms(conn)
    for statement in SUBJECT_KEY_GUARD[conn.dialect.name]:
        conn.exec_driver_sql(statement)
    return said


def _v10_origin(conn: Connection) -> None:
    """v10: where a session was imported from (``NULL``: tested with this store)."""
    conn.execute(text("ALTER TABLE sessions ADD COLUMN origin VARCHAR(500)"))


MIGRATIONS: dict[int, Callable[[Connection], str | None]] = {
    2: _v2_landmarks,
    3: _v3_reference_readings,
    4: _v4_exercises,
    5: _v5_asymmetry_verdict,
    6: _v6_ids_never_reused,
    7: _v7_recording_sha256,
    8: _v8_pseudonym_key,
    9: _v9_recording_index,
    10: _v10_origin,
}
"""Step that takes a store from version ``n - 1`` to ``n``; it returns a line for the user when it changed
something they should know of (said once the upgrade has committed), else ``None``."""

if sorted(MIGRATIONS) != list(range(2, SCHEMA_VERSION + 1)):  # pragma: no cover - a developer slip
    raise RuntimeError("hiprom.store.migrations: MIGRATIONS must hold one step per version from 2")

log = logging.getLogger("hiprom.store")

_PG_LOCK_KEY = 0x6869_7072  # "hipr": serialises migrations of one PostgreSQL database


def stored_version(conn: Connection) -> int | None:
    """The store's schema version, or ``None`` for a database without hiprom tables."""
    if not inspect(conn).has_table(SchemaVersionRow.__tablename__):
        return None
    return conn.execute(text("SELECT MAX(version) FROM schema_version")).scalar()


def migrate(engine: Engine, where: str) -> int:
    """Bring the database to :data:`SCHEMA_VERSION`; returns the version found before.

    What a step says it changed (:data:`MIGRATIONS`) is logged as a warning once the upgrade has
    committed: the command line prints it as a ``hiprom: ...`` line, the server in its log.

    Args:
        engine: an engine made by :func:`hiprom.store.engine.make_engine`.
        where: the store's location, for messages.

    Raises:
        StoreError: the store is newer than this hiprom, or holds tables that are not a hiprom store's.
    """
    with engine.connect() as conn:
        found = stored_version(conn)
    if found == SCHEMA_VERSION:
        return found
    _check_not_newer(found, where)
    found, said = _upgrade(engine, where)
    for line in said:
        log.warning("%s: %s", where, line)
    return found


def _upgrade(engine: Engine, where: str) -> tuple[int, list[str]]:
    """:func:`migrate`'s transaction: create or upgrade the tables; returns the version found before and
    the lines the steps said."""
    said: list[str] = []
    with engine.connect().execution_options(hiprom_write=True) as conn, _foreign_keys_off(conn), conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        found = stored_version(conn)  # another process may have migrated meanwhile
        _check_not_newer(found, where)
        if found is None:
            if inspect(conn).has_table("sessions"):
                raise StoreError(f"{where}: holds a 'sessions' table but no hiprom schema version; "
                                 "point --db at another database")
            Base.metadata.create_all(conn)
            _stamp(conn, SCHEMA_VERSION)
        else:
            for version in range(found + 1, SCHEMA_VERSION + 1):
                line = MIGRATIONS[version](conn)
                if line is not None:
                    said.append(line)
                _stamp(conn, version)
    return (0 if found is None else found), said


@contextlib.contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off for the migration's transaction (set outside it), on again after."""
    if conn.dialect.name != "sqlite":
        yield
        return
    driver = conn.connection.driver_connection  # no transaction is open yet: the pragma takes effect
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _check_not_newer(found: int | None, where: str) -> None:
    if found is not None and found > SCHEMA_VERSION:
        raise StoreError(
            f"{where}: store schema version {found} is newer than this hiprom understands "
            f"({SCHEMA_VERSION}); upgrade hiprom (pip install -U hiprom)"
        )


def _stamp(conn: Connection, version: int) -> None:
    conn.execute(
        SchemaVersionRow.__table__.insert().values(
            version=version,
            applied_utc=datetime.now(timezone.utc).replace(tzinfo=None),
            hiprom_version=__version__,
        )
    )
