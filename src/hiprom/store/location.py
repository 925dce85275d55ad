"""Where the store lives: a database URL from ``--db``, the environment, or the data folder.

Order (the first that is set wins):

1. ``--db`` on the command line (or ``Store(url)``): an SQLAlchemy URL
   (``postgresql://user@host/hiprom``) or a plain file path (an SQLite file);
2. ``HIPROM_DB_URL``: the same, for a clinic that shares one PostgreSQL server;
3. ``HIPROM_DATA_DIR/hiprom.db``;
4. ``$XDG_DATA_HOME/hiprom/hiprom.db``, by default ``~/.local/share/hiprom/hiprom.db``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from hiprom.errors import StoreError

DB_URL_ENV = "HIPROM_DB_URL"
DATA_DIR_ENV = "HIPROM_DATA_DIR"
DB_FILE = "hiprom.db"

# PostgreSQL URLs without a driver mean psycopg 3 (the ``postgres`` extra), not psycopg2.
_PG_SCHEMES = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}


def data_dir() -> Path:
    """The folder of the default SQLite store (not created here)."""
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "hiprom"


def resolve_url(db: str | os.PathLike[str] | None = None) -> URL:
    """The database URL to use, following the order in the module docstring.

    Raises:
        StoreError: ``db`` or ``HIPROM_DB_URL`` is neither a URL nor a path.
    """
    spec = str(db).strip() if db is not None else ""
    where = "--db"
    if not spec:
        spec, where = os.environ.get(DB_URL_ENV, "").strip(), DB_URL_ENV
    if not spec:
        return _sqlite_url(data_dir() / DB_FILE)
    if "://" not in spec:
        return _sqlite_url(Path(spec).expanduser())
    try:
        url = make_url(spec)
    except ArgumentError:
        raise StoreError(f"{where}: {spec!r} is not a database URL; give a file path or e.g. "
                         "postgresql://user@host/hiprom") from None
    if url.drivername in _PG_SCHEMES:
        url = url.set(drivername=_PG_SCHEMES[url.drivername])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = _sqlite_url(Path(url.database).expanduser())
    return url


def require_named_store(db: str | os.PathLike[str] | None = None) -> None:
    """Refuse a missing SQLite file named by ``db`` or ``HIPROM_DB_URL`` (the default location may be new).

    Raises:
        StoreError: as :func:`check_store_exists`.
    """
    spec = str(db).strip() if db is not None else ""
    if spec or os.environ.get(DB_URL_ENV, "").strip():
        check_store_exists(resolve_url(db))


def check_store_exists(url: URL) -> None:
    """Refuse an SQLite store file that does not exist (a mistyped name would start an empty store).

    Other databases (PostgreSQL) are left to their server, which refuses a
    database that does not exist.

    Raises:
        StoreError: the SQLite file is missing; the message says how to create one there.
    """
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database)
    if not path.is_file():
        raise StoreError(f"no records store at {path}; check the name (--db or {DB_URL_ENV}), "
                         f"or create one there with 'hiprom store init {path}'")


def _sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path.absolute()))


def display_url(url: URL) -> str:
    """The URL for messages: the file path for SQLite, no password otherwise."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)
