"""``hiprom subjects rename`` and ``hiprom sessions move``: putting a mistyped pseudonym or a visit
saved under the wrong person right, without losing its readings, program or counted exercises.

Registered on the ``subjects`` and ``sessions`` groups by :mod:`hiprom.cli.subjects_cmd` and :mod:`hiprom.cli.sessions_cmd`.
"""

from __future__ import annotations

import click
from rich.text import Text

from hiprom.cli.options import db_option
from hiprom.cli.store_cmd import console, json_option, open_store, print_json
from hiprom.rounding import counted


@click.command("rename")
@click.argument("subject")
@click.argument("new_pseudonym")
@db_option
@json_option
def rename(subject: str, new_pseudonym: str, db: str | None, as_json: bool) -> None:
    """Give SUBJECT (pseudonym or number) the pseudonym NEW_PSEUDONYM; its sessions, readings,
    programs and exercises stay with it. A pseudonym another subject has is refused."""
    with open_store(db) as store:
        before = store.subject(subject)
        record = store.rename_subject(before.id, new_pseudonym)
    if as_json:
        print_json(record.to_dict())
        return
    console().print(Text(f"Renamed subject #{record.id} {before.pseudonym} to {record.pseudonym} "
                         f"({counted(record.n_sessions, 'session')} kept with it)."))


@click.command("move")
@click.argument("session_id")
@click.option("--subject", required=True, help="The subject it belongs to (pseudonym or number; must exist).")
@db_option
@json_option
def move(session_id: str, subject: str, db: str | None, as_json: bool) -> None:
    """Move a session to another subject; it keeps its number, date, readings, program and exercises.

    The subject it leaves stays, even with no session left ('hiprom subjects delete' removes it).
    """
    with open_store(db) as store:
        before = store.session(session_id, with_analysis=False)
        record = store.move_session(before.id, subject)
        left = store.subject(before.subject_id) if before.subject_id is not None else None
    if as_json:
        print_json(record.to_dict(with_analysis=False))
        return
    came_from = f" from {before.subject}" if before.subject else ""
    out = console()
    out.print(Text(f"Moved session #{record.id}{came_from} to {record.subject}."))
    if left is not None and left.n_sessions == 0:
        out.print(Text(f"{left.pseudonym} has no session left; 'hiprom subjects delete {left.pseudonym}' "
                       "removes it.", style="dim"))
