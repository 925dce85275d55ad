"""``hiprom store copy``: every record of one store into another, empty one (SQLite to PostgreSQL, say).

A clinic moving its records from an SQLite file to a shared PostgreSQL
server (or back) keeps everything: subjects, sessions with their numbers and
dates, trials, series, landmark recordings, reference readings, home
programs and counted exercises, row for row. Numbers stay the same, so a
printed report, a URL or a CSV of readings still names the same session, and
no number ever given by the old store is given again by the new one (its
counters go on after the highest the old one issued).

The copy is one transaction on the target: stopped by an error, a kill or
Ctrl-C, it leaves the target as empty as it was, and can simply be run
again. The source is read in one transaction too (a consistent snapshot
while others keep writing). A target that holds any record is refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, String, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from hiprom.errors import InputError, StoreError
from hiprom.rounding import counted
from hiprom.store.schema import Base, SchemaVersionRow

BATCH_ROWS = 200
"""Rows read and written at a time (a session's series and landmarks can be megabytes)."""

TABLES: tuple[Table, ...] = tuple(t for t in Base.metadata.sorted_tables if t.name != SchemaVersionRow.__tablename__)
"""Every table of records, parents before children; ``schema_version`` is the target's own."""

NUMBERED = tuple(t for t in TABLES if "id" in t.c and t.c.id.primary_key)
"""Tables whose rows are numbered by the database (their counters go on after the source's)."""


NOUNS: dict[str, tuple[str, str | None]] = {
    "subjects": ("subject", None), "sessions": ("session", None), "trials": ("trial", None),
    "series": ("frame series", "frame series"), "landmarks": ("landmark recording", None),
    "reference_readings": ("reference reading", None), "home_programs": ("home program", None),
    "exercise_results": ("counted exercise", None),
}
"""Each table's rows in words (singular, plural if not plain), in the order they are told."""


def rows_words(rows: Mapping[str, int]) -> str:
    """``rows`` (table -> count) in words: ``1 subject, 12 sessions, ... and 2 counted exercises`` (tables
    with no row left out, except subjects and sessions)."""
    words = [counted(rows.get(name, 0), *noun) for name, noun in NOUNS.items()
             if rows.get(name) or name in ("subjects", "sessions")]
    return ", ".join(words[:-1]) + " and " + words[-1]


@dataclass(frozen=True)
class CopyResult:
    """Rows copied per table (``{"subjects": 3, "sessions": 12, ...}``), and where from and to."""

    source: str
    target: str
    rows: Mapping[str, int]


def copy_store(source_db: str | os.PathLike[str] | None, target_db: str | os.PathLike[str],
               after_table: Callable[[str], None] | None = None) -> CopyResult:
    """Copy every record of the store ``source_db`` (as for ``Store``, which must exist) into ``target_db``.

    The target is created if it is a new SQLite file, and its tables if it is
    an empty database; it must hold no record. ``after_table(name)`` is called
    inside the target's transaction after each table is written (for progress,
    and for the tests to stop a copy midway).

    Raises:
        InputError: the source and the target are the same store.
        StoreError: either store cannot be opened; the target holds records; a
            value does not fit the target's column; the copy failed (nothing copied).
    """
    from hiprom.store import Store

    with Store(source_db, create=False) as source, Store(target_db) as target:
        if source.url.render_as_string(hide_password=False) == target.url.render_as_string(hide_password=False):
            raise InputError(f"{target.where}: is the store being copied; give another store with --to")
        rows: dict[str, int] = {}
        try:
            with _reading(source.engine) as src, target.engine.connect().execution_options(hiprom_write=True) as dst, \
                    dst.begin():
                _refuse_filled(dst, target.where)
                issued = _issued(src)
                for table in TABLES:
                    rows[table.name] = _copy_table(src, dst, table, target.where)
                    if after_table is not None:
                        after_table(table.name)
                _go_on_after(dst, issued)
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            raise StoreError(f"copying {source.where} to {target.where} failed ({detail}); nothing was copied, "
                             "the target is as empty as before") from None
        return CopyResult(source.where, target.where, rows)


def _reading(engine: Engine) -> Connection:
    """A connection reading one consistent snapshot of the store (PostgreSQL: repeatable read)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    conn.begin()
    return conn


def _refuse_filled(dst: Connection, where: str) -> None:
    """Refuse a target that holds any record (it would mix two clinics' numbers); lock it on PostgreSQL."""
    if dst.dialect.name == "postgresql":
        dst.execute(text("LOCK TABLE " + ", ".join(t.name for t in TABLES) + " IN EXCLUSIVE MODE"))
    filled = {t.name: n for t in TABLES if (n := dst.scalar(select(func.count()).select_from(t)) or 0)}
    if filled:
        raise StoreError(f"{where}: holds records already ({rows_words(filled)}); copy into an empty store "
                         "(a new SQLite file, or a new database made with 'createdb')")


def _issued(conn: Connection) -> dict[str, int]:
    """The highest number each numbered table of the store has ever given (deleted ones too, where kept)."""
    issued = {t.name: conn.scalar(select(func.max(t.c.id))) or 0 for t in NUMBERED}
    if conn.dialect.name == "sqlite":
        if conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")):
            for name, seq in conn.execute(text("SELECT name, seq FROM sqlite_sequence")):
                if name in issued:
                    issued[name] = max(issued[name], int(seq or 0))
    elif conn.dialect.name == "postgresql":
        for name in issued:
            last = conn.scalar(text("SELECT pg_sequence_last_value(pg_get_serial_sequence(:t, 'id'))"), {"t": name})
            issued[name] = max(issued[name], int(last or 0))
    return issued


def _go_on_after(dst: Connection, issued: Mapping[str, int]) -> None:
    """Set the target's counters so that its next number of each table follows the source's highest."""
    for name, highest in issued.items():
        if highest <= 0:
            continue
        if dst.dialect.name == "postgresql":
            dst.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"), {"t": name, "n": highest})
        elif dst.dialect.name == "sqlite" and dst.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_sequence'")):
            updated = dst.execute(text("UPDATE sqlite_sequence SET seq = max(seq, :n) WHERE name = :t"),
                                  {"t": name, "n": highest}).rowcount
            if not updated:
                dst.execute(text("INSERT INTO sqlite_sequence (name, seq) SELECT :t, :n WHERE EXISTS "
                                 "(SELECT 1 FROM sqlite_master WHERE name = :t AND sql LIKE '%AUTOINCREMENT%')"),
                            {"t": name, "n": highest})


def _copy_table(src: Connection, dst: Connection, table: Table, where: str) -> int:
    """Copy ``table`` row for row, in batches; returns how many rows."""
    n = 0
    for batch in _batches(src, table):
        _check_fits(batch, table, where)
        dst.execute(table.insert(), batch)
        n += len(batch)
    return n


def _batches(src: Connection, table: Table) -> Iterator[list[dict]]:
    key = list(table.primary_key.columns)
    result = src.execution_options(yield_per=BATCH_ROWS).execute(select(table).order_by(*key))
    for part in result.mappings().partitions():
        yield [dict(row) for row in part]


def _check_fits(batch: list[dict], table: Table, where: str) -> None:
    """Refuse a text longer than the target's column takes (PostgreSQL holds to ``VARCHAR(n)``, SQLite
    does not), naming the record, rather than a database error without one."""
    limited = [c for c in table.c if isinstance(c.type, String) and c.type.length]
    for row in batch:
        for column in limited:
            value = row.get(column.name)
            if isinstance(value, str) and len(value) > column.type.length:  # type: ignore[operator]
                number = next(iter(row[k.name] for k in table.primary_key.columns))
                raise StoreError(f"{where}: {table.name.replace('_', ' ')} #{number}: its {column.name} has "
                                 f"{len(value)} characters, more than the {column.type.length} the store "
                                 "takes; shorten it in the source and copy again (nothing was copied)")
