"""``hiprom backup``, ``hiprom restore`` and ``hiprom store ...``: the store as a whole.

A consistent copy of an SQLite store and putting it back (:mod:`hiprom.store.backup`), and creating a
store at a place you name.
"""

from __future__ import annotations

from pathlib import Path

import click

from hiprom.cli.options import db_option
from hiprom.cli.store_cmd import ask_yes
from hiprom.rounding import counted


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def backup(file: Path, db: str | None) -> None:
    """Copy the SQLite store to FILE, consistently, even while hiprom is using it.

    Uses SQLite's online backup API, so sessions still in the write-ahead log
    (hiprom.db-wal) are included; FILE must not exist and is made readable by
    you only. For a PostgreSQL store use pg_dump.
    """
    from hiprom.store.backup import backup as run_backup

    done = run_backup(file, db)
    click.echo(f"Backed up {counted(done.sessions, 'session')} of {counted(done.subjects, 'subject')} to {done.path}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def restore(file: Path, yes: bool, db: str | None) -> None:
    """Put the records of FILE (made by 'hiprom backup') back into the SQLite store.

    What the store holds now is first backed up beside it
    (hiprom.before-restore-DATE.db), so nothing is lost; hiprom may keep
    running. For a PostgreSQL store use pg_restore.
    """
    from hiprom.store.backup import restore as run_restore

    def confirm(where: str, subjects: int, sessions: int) -> None:
        ask_yes(yes, f"Replace the records in {where} with the {counted(sessions, 'session')} of "
                     f"{counted(subjects, 'subject')} in {file}? The records there now are backed up first",
                "restoring", "nothing restored")

    done = run_restore(file, db, confirm)
    kept = f"; the records before are kept in {done.kept}" if done.kept else ""
    click.echo(f"Restored {counted(done.sessions, 'session')} of {counted(done.subjects, 'subject')} "
               f"into {done.store}{kept}")


@click.group()
def store() -> None:
    """Create a records store at a place you name (the default one is created on first use)."""


@store.command("init")
@click.argument("db", metavar="PATH_OR_URL")
def store_init(db: str) -> None:
    """Create an empty records store at PATH_OR_URL (an SQLite file, or a database URL to set up).

    Every other command refuses a --db or HIPROM_DB_URL file that does not
    exist, so that a mistyped name never starts a new, empty store.
    """
    from hiprom.store import Store
    from hiprom.store.location import resolve_url

    url = resolve_url(db)
    new = url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file()
    with Store(db) as made:  # creates it, or opens (and upgrades) the one there
        n = len(made.sessions())
        where = made.where
    if new:
        click.echo(f"Created an empty records store at {where}")
    else:
        click.echo(f"{where} is a records store already ({counted(n, 'session')}); nothing changed")

