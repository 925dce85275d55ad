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

import os
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine

from hiprom.atomic import FILE_MODE, private_dir
from hiprom.errors import OutputError, StoreError, missing_extra
from hiprom.store.location import display_url

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
    health data is never readable by other users. Existing files keep their mode.
    """
    try:
        private_dir(path.parent)
    except OutputError as exc:
        raise StoreError(f"cannot make the records folder {path.parent}: {exc}, with HIPROM_DATA_DIR or --db") from None
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))  # empty = a new database
    except FileExistsError:
        pass
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store ({exc.strerror}); set HIPROM_DATA_DIR or --db") from None


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
