"""``hiprom backup``, ``hiprom restore`` and ``hiprom store ...``: the store as a whole.

A consistent copy of an SQLite store and putting it back (:mod:`hiprom.store.backup`), creating a
store at a place you name, and copying every record into another store, such as a clinic's new
PostgreSQL server (:mod:`hiprom.store.copy`).
"""

from __future__ import annotations

from pathlib import Path

import click

from hiprom.cli.options import db_option, yes_option
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
@yes_option
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
    """Create a records store at a place you name, copy every record into another (to PostgreSQL), or
    import a JSON export of sessions."""


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


@store.command("copy")
@click.option("--to", "to", required=True, metavar="URL_OR_PATH",
              help="The empty store to copy into: a PostgreSQL URL (its database made with 'createdb'), "
                   "or a new SQLite file.")
@db_option(lead="The store to copy from")
def store_copy(to: str, db: str | None) -> None:
    """Copy every record into another, empty store: SQLite to PostgreSQL, or back.

    Subjects, sessions (with their numbers and dates), trials, series,
    landmarks, reference readings, home programs and counted exercises are
    copied in one transaction: stopped midway, the target stays empty. The
    store copied from is left as it is.
    """
    from hiprom.store.copy import copy_store, rows_words

    done = copy_store(db, to)
    click.echo(f"Copied {rows_words(done.rows)} from {done.source} to {done.target}; every session keeps its "
               f"number. Use it with --db or HIPROM_DB_URL; {done.source} is unchanged.")


@store.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--subject", default=None, metavar="PSEUDONYM",
              help="Whose records these are here: a subject of this store (the sessions join theirs), or a new "
                   "pseudonym. Needed when the file's pseudonym is taken here: at another clinic it may be "
                   "someone else.")
@db_option(lead="The store to import into")
def store_import(file: Path, subject: str | None, db: str | None) -> None:
    """Load a JSON export ('hiprom sessions export N --format json') into the store.

    Every session of FILE is stored with its subject's details, analysis and
    series, reference readings, home program and counted exercises, in one
    transaction: all of them or none, each with the time it was saved or
    stored at the first store. The sessions get this store's next numbers
    (printed as 'session 12 -> 57'). Sessions imported before are not stored
    again: a file sent again with new sessions adds those, to the subject the
    earlier ones were imported to, and the exercises done since with a
    session held here (a patient's home program) are added to it; a file
    with nothing new is refused.
    Landmark recordings are not in an export and are not imported: the
    summary names the sessions that had one. With --subject, FILE may also
    be an analysis ('hiprom analyze --json'), stored as that person's test
    (once), as the clinic's page takes it.
    """
    from hiprom.cli.store_cmd import open_store
    from hiprom.report.imports import import_export
    from hiprom.store.copy import rows_words

    with open_store(db) as target:
        done = import_export(target, file, subject)
    rows = {"subjects": len(done.new_subjects), "sessions": len(done.numbers), **done.rows}
    whose = f" of {', '.join(done.subjects)}" if done.subjects else ""
    numbered = "; the sessions have new numbers here:" if done.numbers else "."
    click.echo(f"Imported {rows_words(rows)}{whose} from {file} into {done.store}{numbered}")
    for old, new in done.numbers.items():
        click.echo(f"  session {old} -> {new}")
    if done.already:
        click.echo("Here already from an earlier import, not stored again:")
        for old, held in done.already.items():
            added = done.exercises_added.get(old)
            more = f", and {counted(added, 'exercise')} done with its home program added to it" if added else ""
            click.echo(f"  session {old} is session {held}{more}")
    if done.without_landmarks:
        which = ", ".join(done.without_landmarks)
        click.echo(f"Not imported: the landmark recording the first store kept of session {which} (an export "
                   "holds none); the figures are all here, and 'hiprom report N --video' draws the peak pictures "
                   "with the recording's .landmarks.npz given as --landmarks.")
