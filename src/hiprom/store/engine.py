"""The SQLAlchemy engine of a store, set up for safe concurrent writing.

SQLite (the default):

- ``journal_mode=WAL``: readers never block the writer and a crash or a full
  disk rolls back to the last committed transaction;
- ``synchronous=FULL``: a committed session survives a power cut;
- ``busy_timeout``: a process that finds the store locked waits (up to
  :data:`BUSY_TIMEOUT_MS`) instead of failing;
- ``foreign_keys=ON`` so deleting a session deletes its trials and series;
- ``secure_delete=ON``: a deleted record's bytes are overwritten with zeros
  in the file, so a backup taken after a patient's records were erased
  (:func:`forget_deleted`) holds nothing of them (SQLite builds differ in
  their default: Debian's has it on, the one in python.org's installers off);
- write transactions start with ``BEGIN IMMEDIATE`` (the connection option
  ``hiprom_write=True``), so two writers queue on the lock up front instead of
  one failing when it upgrades a read lock (``SQLITE_BUSY`` that no timeout
  retries). The Python driver's own transaction handling is turned off so
  these ``BEGIN`` statements are the ones that count.

PostgreSQL needs nothing of this; its driver is psycopg 3 (``hiprom[postgres]``).
"""

from __future__ import annotations

import glob
import logging
import os
import shlex
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine

from hiprom.atomic import FILE_MODE, private_dir
from hiprom.errors import OutputError, StoreError, missing_extra
from hiprom.store.location import DATA_DIR_ENV, data_dir, display_url

log = logging.getLogger("hiprom.store")

BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another process's transaction on SQLite."""


def make_engine(url: URL) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and the pragmas above.

    Raises:
        StoreError: the database driver is not installed, or the folder cannot be made.
    """
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    try:
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        if backend == "postgresql":
            raise StoreError(f"{display_url(url)}: {missing_extra('a PostgreSQL store', 'the psycopg driver', 'postgres')}") from None
        raise StoreError(f"{display_url(url)}: the {backend} driver {exc.name} is not installed; install it with pip") from None


def _private_file(path: Path) -> None:
    """Create the SQLite file's folder (0700) and the empty file (0600) if missing.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's mode, so
    health data is never readable by other users. An existing store is made
    owner-only if it is not (:func:`_owner_only`).
    """
    try:
        private_dir(path.parent)
    except OutputError as exc:
        raise StoreError(f"cannot make the records folder {path.parent}: {exc}, with HIPROM_DATA_DIR or --db") from None
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))  # empty = a new database
    except FileExistsError:
        _owner_only(path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror}); set HIPROM_DATA_DIR or --db") from None


def _owner_only(path: Path) -> None:
    """Take group and other permissions off an existing SQLite store the user owns, and say so in one line.

    A store made before stores were created 0600 kept the umask's mode (0644 under the usual umask 022):
    every user of the machine could read every patient's numbers. Its ``-wal``, ``-shm`` and
    ``.before-restore-*`` backups beside it are checked too, and hiprom's own data folder (the default,
    ``~/.local/share/hiprom``). A file of another user cannot be changed: the line says what its owner runs.
    """
    candidates = [path, Path(f"{path}-wal"), Path(f"{path}-shm"),
                  *sorted(path.parent.glob(f"{glob.escape(path.stem)}.before-restore-*"))]
    if not os.environ.get(DATA_DIR_ENV, "").strip() and path.parent == data_dir():
        candidates.append(path.parent)
    loose: list[tuple[Path, os.stat_result]] = []
    for candidate in candidates:
        try:
            st = candidate.stat()
        except OSError:
            continue
        if st.st_mode & 0o077:
            loose.append((candidate, st))
    if not loose:
        return
    mode = f"{stat.S_IMODE(loose[0][1].st_mode):04o}"
    stuck = []
    for candidate, st in loose:
        try:
            if st.st_uid != os.getuid():
                raise PermissionError
            os.chmod(candidate, stat.S_IMODE(st.st_mode) & 0o700)
        except OSError:
            stuck.append(candidate)
    if stuck:
        log.warning("%s: other users of this machine can read the records store (mode %s) and hiprom cannot change "
                    "that (not your file); its owner should run: chmod go-rwx %s", path, mode,
                    " ".join(shlex.quote(str(p)) for p in stuck))
    else:
        others = [str(p) if p.is_dir() else p.name for p, _ in loose if p != path]
        which = f"it and {', '.join(others)} are" if others else "it is"
        log.warning("%s: other users of this machine could read the records store (mode %s); %s now readable by "
                    "you only", path, mode, which)


def _sqlite_engine(url: URL) -> Engine:
    if url.database and url.database != ":memory:":
        _private_file(Path(url.database))
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver emits no BEGIN; _on_begin does
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA secure_delete = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("hiprom_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def forget_deleted(engine: Engine) -> None:
    """After records were deleted, leave no copy of them in an SQLite store's ``-wal`` file.

    A committed delete sits in the write-ahead log behind frames that still hold
    the rows as they were before; a checkpoint writes the zeroed pages
    (``secure_delete``) into the database and ``TRUNCATE`` empties the log.
    It waits (the busy timeout) for other connections' reads to end; a reader
    still busy then leaves the log to the next checkpoint. Nothing to do on
    PostgreSQL (the server reclaims deleted rows' space at its VACUUM).
    """
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
