"""``hiprom subjects ...``: the people assessed, by pseudonym (list, add, show, delete; ``rename`` and
``export`` kept in :mod:`hiprom.cli.edit_cmd` and :mod:`hiprom.cli.subject_data_cmd`).

Every command takes ``--db`` (an SQLite file or database URL; default ``HIPROM_DB_URL``, else
``hiprom.db`` in the data folder); lists and details print tables, or JSON with ``--json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.text import Text

from hiprom.cli.options import db_option, yes_option
from hiprom.cli.store_cmd import (
    LIST_LIMIT,
    console,
    json_option,
    listed,
    make_table,
    open_store,
    print_json,
    require_yes,
    safe,
    time_cell,
)
from hiprom.rounding import counted

if TYPE_CHECKING:
    from hiprom.store.subjects import SubjectOrder


@click.group()
def subjects() -> None:
    """List, add, show, rename, export and delete subjects (people assessed, by pseudonym)."""


@subjects.command("list")
@click.option("--find", default=None, metavar="TEXT", help="Only subjects whose pseudonym or name contains TEXT (case and accents ignored: elise finds Élise).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help=f"At most this many, by pseudonym (default: {LIST_LIMIT} in the table, all with --json).")
@click.option("--all", "show_all", is_flag=True, help="Every subject, however many.")
@click.option("--by", type=click.Choice(["pseudonym", "last"]), default="pseudonym", show_default=True,
              help="Order: by pseudonym, or by the last session, the longest unseen first (whom to call back).")
@db_option
@json_option
def subjects_list(find: str | None, limit: int | None, show_all: bool, by: SubjectOrder, db: str | None,
                  as_json: bool) -> None:
    """List subjects by pseudonym with their number of sessions and the day of the last; the table shows the
    first 50 unless told."""
    limit = listed(limit, show_all, as_json)
    with open_store(db) as store:
        rows, total = store.subjects_counted(find, limit=limit, by=by)
        where = store.where
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    if not rows:
        console().print(f"No subject's pseudonym or name contains {find!r} in {where}." if find else
                        f"No subjects yet in {where}; add one with 'hiprom subjects add'.")
        return
    table = make_table(f"Subjects in {where}",
                       ["pseudonym", "name", "born", ("sessions", "right"), "last session", "added"])
    for r in rows:
        table.add_row(safe(r.pseudonym), safe(r.name), safe(r.date_of_birth), str(r.n_sessions),
                      time_cell(r.last_session_utc, with_time=False) if r.last_session_utc else "—",
                      time_cell(r.created_utc, with_time=False))
    console().print(table)
    if total > len(rows):
        narrow = "" if find else ", --find TEXT for a pseudonym or name"
        order = "by the last session" if by == "last" else "by pseudonym"
        console().print(Text(f"The first {len(rows)} of {total} subjects {order}; --limit N for more, "
                             f"--all for every one{narrow}.", style="dim"))


@subjects.command("add")
@click.argument("pseudonym", required=False)
@click.option("--name", default=None, help="Full name (optional; reports show it).")
@click.option("--dob", "date_of_birth", default=None, metavar="YYYY-MM-DD", help="Date of birth (optional).")
@click.option("--notes", default=None, help="Free-text notes.")
@db_option
@json_option
def subjects_add(pseudonym: str | None, name: str | None, date_of_birth: str | None, notes: str | None,
                 db: str | None, as_json: bool) -> None:
    """Add a subject; without PSEUDONYM one like S-3F9A1C is made."""
    with open_store(db) as store:
        record = store.add_subject(pseudonym, name=name, date_of_birth=date_of_birth, notes=notes)
    if as_json:
        print_json(record.to_dict())
        return
    console().print(Text.assemble("Added subject ", (record.pseudonym, "bold"), f" (#{record.id})."))


@subjects.command("show")
@click.argument("subject")
@db_option
@json_option
def subjects_show(subject: str, db: str | None, as_json: bool) -> None:
    """Show a subject (by pseudonym or number) and its sessions."""
    from hiprom.store.records import shown_time

    with open_store(db) as store:
        record = store.subject(subject)
        sessions = store.sessions(record.id)
        if as_json:
            print_json({**record.to_dict(), "sessions": [s.to_dict(with_analysis=False) for s in sessions]})
            return
        from hiprom.cli.session_list import sessions_tables, verdicts_again

        again = verdicts_again(store, sessions)
    out = console()
    details = make_table(None, ["", ""])
    details.show_header = False
    for label, value in (("pseudonym", record.pseudonym), ("name", record.name),
                         ("date of birth", record.date_of_birth), ("notes", record.notes),
                         ("added", shown_time(record.created_utc))):
        details.add_row(Text(label, style="dim"), safe(value))
    out.print(details)
    for item in sessions_tables(f"Sessions of {record.pseudonym}", sessions, out.width, subject=False, again=again):
        out.print(item)


@subjects.command("delete")
@click.argument("subject")
@yes_option
@db_option
def subjects_delete(subject: str, yes: bool, db: str | None) -> None:
    """Delete a subject and ALL its sessions, with their readings, programs, counted exercises and landmark
    recordings (a patient's erasure: 'hiprom subjects export' first gives them a copy)."""
    with open_store(db) as store:
        record = store.subject(subject)
        require_yes(yes, f"subject {record.pseudonym!r} and its {counted(record.n_sessions, 'session')}")
        n = store.delete_subject(record.id)
    console().print(Text(f"Deleted subject {record.pseudonym} and {counted(n, 'session')}, with their "
                         "readings, home programs, counted exercises and landmark recordings; nothing of them is "
                         "left in the store, nor in backups made from now on."))
    console().print(Text(f"Not erased by this: backups made before now (hiprom backup, the "
                         f"'.before-restore-' copies, pg_dump files) and files exported or reports written of "
                         f"{record.pseudonym}; delete those where they are kept."))



def _register_commands() -> None:
    """Add the commands kept in their own modules: ``rename`` and ``export``."""
    from hiprom.cli import edit_cmd, subject_data_cmd

    subjects.add_command(edit_cmd.rename)
    subjects.add_command(subject_data_cmd.export)


_register_commands()
