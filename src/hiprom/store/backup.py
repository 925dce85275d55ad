"""``hiprom backup``: a consistent copy of an SQLite store, taken while it is in use.

Copying ``hiprom.db`` is not a backup: in WAL mode, committed sessions may
sit only in ``hiprom.db-wal`` (after a crash or a full disk, until the next
checkpoint), and a copy taken during a write is torn. SQLite's online backup
API reads the database *with* its WAL, page by page inside a read
transaction, so the copy is exactly the last committed state; writers carry
on meanwhile. The copy is one self-contained file (rollback journal, not
WAL), checked with ``PRAGMA integrity_check``, written 0600 and renamed into
place only when complete.

``hiprom restore`` puts such a copy back into the live store, in one write
transaction that also covers the backup of what the store held until then
(the server may keep running: a save during the restore waits for it, and
its next read sees the restored records). Putting the file in place of
``hiprom.db`` by hand is unsafe: a ``-wal`` left beside it belongs to the old
database, and SQLite replays it into the copy.

PostgreSQL stores are backed up with the server's own tool, ``pg_dump``,
and restored with ``pg_restore``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import URL

from hiprom.atomic import output_error, private_dir
from hiprom.errors import InputError, OutputError, StoreError
from hiprom.store.engine import BUSY_TIMEOUT_MS, make_engine
from hiprom.store.location import check_store_exists, display_url, resolve_url
from hiprom.store.migrations import migrate


@dataclass(frozen=True)
class BackupResult:
    """What a backup copied."""

    path: Path
    subjects: int
    sessions: int


def backup(dest: str | os.PathLike[str], db: str | os.PathLike[str] | None = None) -> BackupResult:
    """Copy the store named by ``db`` (as for ``Store``) to the new file ``dest``.

    Raises:
        StoreError: the store is not an SQLite file (PostgreSQL: use pg_dump),
            does not exist, or cannot be read.
        OutputError: ``dest`` exists or cannot be written.
    """
    url = resolve_url(db)
    if url.get_backend_name() != "sqlite":
        raise StoreError(f"{display_url(url)}: hiprom backup copies SQLite stores; back up a PostgreSQL "
                         f"store with pg_dump (e.g. pg_dump -Fc -f hiprom.dump {url.database or 'hiprom'})")
    check_store_exists(url)
    source = Path(url.database or "")
    target = Path(dest).expanduser().absolute()
    if target.exists():
        raise OutputError(f"{target}: exists; give a new file name (a backup never overwrites)")
    private_dir(target.parent)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise output_error(target, exc) from None
    os.close(fd)
    try:
        counts = _copy(source, Path(tmp), target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return BackupResult(target, *counts)


def _copy(source: Path, tmp: Path, target: Path) -> tuple[int, int]:
    """Online backup of ``source`` into the empty file ``tmp``; returns (subjects, sessions)."""
    try:
        src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise StoreError(f"{source}: cannot open the store ({exc})") from None
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise StoreError(f"{source}: the copy failed its integrity check; the store may be damaged")
            subjects = dst.execute("SELECT COUNT(*) FROM subjects").fetchone()[0]
            sessions = dst.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        finally:
            dst.close()
    except sqlite3.OperationalError as exc:
        if "disk" in str(exc).lower() or "full" in str(exc).lower() or "readonly" in str(exc).lower():
            raise output_error(target, OSError(errno.ENOSPC if "full" in str(exc).lower() else 0, str(exc))) from None
        raise StoreError(f"{source}: cannot read the store ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{source}: cannot read the store ({exc}); is it a hiprom store?") from None
    finally:
        src.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    return int(subjects), int(sessions)


@dataclass(frozen=True)
class RestoreResult:
    """What a restore put back, and where the records it replaced were kept (``None``: there were none)."""

    store: Path
    subjects: int
    sessions: int
    kept: Path | None


def _backup_counts(source: str | os.PathLike[str]) -> tuple[int, int]:
    """(subjects, sessions) of the backup file ``source``, read-only, after checking it is whole.

    Raises:
        InputError: no such file, or not an intact hiprom store.
    """
    path = Path(source).expanduser().absolute()
    if not path.is_file():
        raise InputError(f"{path}: no such backup file; give a file made by 'hiprom backup'")
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot open it ({exc})") from None
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise InputError(f"{path}: the file is damaged (integrity check failed); use another backup")
        subjects = con.execute("SELECT COUNT(*) FROM subjects").fetchone()[0]
        sessions = con.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a hiprom backup ({exc}); give a file made by 'hiprom backup'") from None
    finally:
        con.close()
    return int(subjects), int(sessions)


def restore(source: str | os.PathLike[str], db: str | os.PathLike[str] | None = None,
            confirm: Callable[[str, int, int], None] | None = None) -> RestoreResult:
    """Replace the records of the store named by ``db`` with those of the backup file ``source``.

    The store's records until now are first backed up beside it
    (``hiprom.before-restore-20261205T081500Z.db``), so a restore loses
    nothing; a store that does not exist yet is created from the backup.
    ``confirm(store, subjects, sessions)``, once the backup is checked and
    before anything is written, may stop the restore by raising.

    Raises:
        StoreError: the store is not an SQLite file (PostgreSQL: use pg_restore).
        InputError: ``source`` is missing, damaged, not a hiprom store, or the store itself.
        OutputError: the store's folder cannot be written.
    """
    url = resolve_url(db)
    if url.get_backend_name() != "sqlite":
        raise StoreError(f"{display_url(url)}: hiprom restore puts back SQLite stores; restore a PostgreSQL "
                         "store with pg_restore (e.g. pg_restore --clean -d hiprom hiprom.dump)")
    backup_path = Path(source).expanduser().absolute()
    target = Path(url.database or "").absolute()
    if target.exists() and backup_path.exists() and os.path.samefile(backup_path, target):
        raise InputError(f"{backup_path}: is the records store itself; give a file made by 'hiprom backup'")
    subjects, sessions = _backup_counts(backup_path)
    if confirm is not None:
        confirm(display_url(url), subjects, sessions)
    if not target.exists():
        backup(target, backup_path)
        return RestoreResult(target, subjects, sessions, None)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix or '.db'}")
    staged = target.with_name(f".{target.name}.restoring-{stamp}")
    backup(staged, backup_path)
    try:
        _upgrade(resolve_url(str(staged)))  # a backup of an older hiprom: brought to this one's tables
        _upgrade(url)
        _replace_records(target, staged, lambda: backup(kept, db).path)
    finally:
        for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm"), Path(f"{staged}-journal")):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(leftover)
    return RestoreResult(target, subjects, sessions, kept)


def _replace_records(target: Path, staged: Path, keep: Callable[[], Path]) -> None:
    """Put the records of ``staged`` (a store of this hiprom's schema) in place of the store ``target``'s,
    in one write transaction, after ``keep()`` has backed up the records it replaces.

    The backup of what is replaced is made while this transaction holds the store's write lock: a
    session another program (the server) saves during the restore waits and is saved after it, in
    the restored store; none can be committed between the copy kept aside and the replacement,
    where it would be in neither. Numbers go on after the highest the store had given
    (:func:`_never_reissue`).
    """
    con = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    kept: Path | None = None
    try:
        con.execute("ATTACH DATABASE ? AS restored", (str(staged),))
        con.execute("PRAGMA secure_delete = ON")
        con.execute("BEGIN IMMEDIATE")
        try:
            kept = keep()  # read by its own connection: every record committed until now
            issued = _issued_numbers(con)
            tables = [name for (name,) in con.execute(
                "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            for name in tables:
                con.execute(f'DELETE FROM main."{name}"')
            if issued or _issued_numbers(con):
                con.execute("DELETE FROM main.sqlite_sequence")
            for name in tables:
                columns = ", ".join(f'"{c}"' for _, c, *_ in con.execute(f'PRAGMA main.table_info("{name}")'))
                con.execute(f'INSERT INTO main."{name}" ({columns}) SELECT {columns} FROM restored."{name}"')
            _never_reissue(con, issued)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        if con.execute("PRAGMA main.integrity_check").fetchone()[0] != "ok":
            raise StoreError(f"{target}: the restored store failed its integrity check; "
                             f"the records before the restore are in {kept}")
    except sqlite3.Error as exc:
        raise StoreError(f"{target}: the restore failed ({exc}); the store is as it was"
                         + (f" (and its records are also in {kept})" if kept else "")) from None
    finally:
        con.close()


def _issued_numbers(con: sqlite3.Connection) -> dict[str, int]:
    """The highest number each table has given out (SQLite's ``sqlite_sequence``), if the store keeps them."""
    try:
        return dict(con.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall())
    except sqlite3.OperationalError:  # a store older than schema version 6 keeps none
        return {}


def _upgrade(url: URL) -> None:
    """Bring the store at ``url`` to this hiprom's schema (its counters made, :mod:`~hiprom.store.migrations`)."""
    engine = make_engine(url)
    try:
        migrate(engine, display_url(url))
    finally:
        engine.dispose()


def _never_reissue(con: sqlite3.Connection, issued: dict[str, int]) -> None:
    """After a restore, go on numbering after the highest number ever given, in the backup or since.

    A session saved after the backup and replaced by the restore keeps its
    number in the copy kept aside (and in reports printed from it); a new
    session must never be given that number again.
    """
    restored = _issued_numbers(con)
    for name, seq in issued.items():
        if name in restored and seq > restored[name]:
            con.execute("UPDATE main.sqlite_sequence SET seq = ? WHERE name = ?", (seq, name))
