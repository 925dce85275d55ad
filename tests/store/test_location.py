"""Where the store lives: --db, HIPROM_DB_URL, HIPROM_DATA_DIR, XDG_DATA_HOME."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hiprom.errors import StoreError
from hiprom.store import Store
from hiprom.store.location import display_url, resolve_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("HIPROM_DB_URL", "HIPROM_DATA_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("env", "db", "expected"),
    [
        ({}, None, "{tmp}/home/.local/share/hiprom/hiprom.db"),
        ({"XDG_DATA_HOME": "{tmp}/xdg"}, None, "{tmp}/xdg/hiprom/hiprom.db"),
        ({"XDG_DATA_HOME": "{tmp}/xdg", "HIPROM_DATA_DIR": "{tmp}/data"}, None, "{tmp}/data/hiprom.db"),
        ({"HIPROM_DATA_DIR": "{tmp}/data", "HIPROM_DB_URL": "sqlite:///{tmp}/url.db"}, None, "{tmp}/url.db"),
        ({"HIPROM_DB_URL": "sqlite:///{tmp}/url.db"}, "{tmp}/flag.db", "{tmp}/flag.db"),
        ({}, "sqlite:///{tmp}/flag.db", "{tmp}/flag.db"),
    ],
)
def test_sqlite_location_follows_the_documented_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict, db: str | None, expected: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value.format(tmp=tmp_path))
    url = resolve_url(db.format(tmp=tmp_path) if db else None)
    assert url.get_backend_name() == "sqlite"
    assert url.database == expected.format(tmp=tmp_path)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://clinic:secret@db.example/hiprom", "postgresql+psycopg"),
        ("postgres://clinic:secret@db.example/hiprom", "postgresql+psycopg"),
        ("postgresql+psycopg://clinic:secret@db.example:5433/hiprom", "postgresql+psycopg"),
    ],
)
def test_postgresql_urls_use_psycopg3_and_hide_the_password(given: str, driver: str) -> None:
    url = resolve_url(given)
    assert url.drivername == driver
    assert url.database == "hiprom" and url.host == "db.example"
    assert "secret" not in display_url(url)


def test_environment_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIPROM_DB_URL", "postgresql://u@h/clinic")
    assert resolve_url(None).database == "clinic"


def test_bad_url_is_a_clear_store_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        resolve_url("::://nonsense")


@pytest.mark.skipif(importlib.util.find_spec("psycopg") is not None, reason="psycopg is installed")
def test_postgresql_without_its_driver_says_what_to_install() -> None:
    with pytest.raises(StoreError, match=r"pip install 'hiprom\[postgres\]'") as err:
        Store("postgresql://clinic:secret@127.0.0.1:1/hiprom")
    assert "secret" not in str(err.value)


def test_default_store_is_created_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIPROM_DATA_DIR", str(tmp_path / "deep" / "data"))
    with Store() as store:
        assert store.where == str(tmp_path / "deep" / "data" / "hiprom.db")
    assert (tmp_path / "deep" / "data" / "hiprom.db").is_file()
