"""``hiprom backup``: a consistent copy of an SQLite store, taken while it is in use.

Copying ``hiprom.db`` is not a backup: in WAL mode, committed sessions may
sit only in ``hiprom.db-wal`` (after a crash or a full disk, until the next
checkpoint), and a copy taken during a write is torn. SQLite's online backup
API reads the database *with* its WAL, page by page inside a read
transaction, so the copy is exactly the last committed state; writers carry
on meanwhile. The copy is one self-contained file (rollback journal, not
WAL), checked with ``PRAGMA integrity_check``, written 0600 and renamed into
place only when complete.

PostgreSQL stores are backed up with the server's own tool, ``pg_dump``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hiprom.atomic import output_error, private_dir
from hiprom.errors import OutputError, StoreError
from hiprom.store.engine import BUSY_TIMEOUT_MS
from hiprom.store.location import check_store_exists, display_url, resolve_url


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
