"""The store tests run on SQLite and on a real PostgreSQL server.

``store`` (and everything built on it, such as the records API's client) is
parametrised by backend. The PostgreSQL cases need a server: ``.ci/run``
starts a throwaway cluster and exports its URL in ``HIPROM_TEST_PG_URL``
(e.g. ``postgresql://hiprom@/hiprom?host=/tmp/pg``); each test gets a fresh
database on it, dropped afterwards. Without that variable they skip, saying so.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

PG_URL_ENV = "HIPROM_TEST_PG_URL"
BACKENDS = ["sqlite", "postgresql"]


def _admin_url() -> str:
    url = os.environ.get(PG_URL_ENV, "").strip()
    if not url:
        pytest.skip(f"no PostgreSQL server: set {PG_URL_ENV} to a server's URL (.ci/run starts one)")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(_admin_url()).set(drivername="postgresql")
    name = f"hiprom_test_{secrets.token_hex(4)}"
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store's location: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "hiprom.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator:
    """An empty store, on each backend in turn."""
    from hiprom.store import Store

    with Store(db_url) as s:
        yield s


@pytest.fixture
def hiprom(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """``hiprom(*args)`` runs ``hiprom ARGS`` in this process as a user would: (exit code, stdout, stderr)."""
    from hiprom.cli import main

    monkeypatch.setattr(main, "silence_native_stderr_for_good", lambda: None)  # keep pytest's stderr

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run
