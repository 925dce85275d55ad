"""``hiprom program export SESSION`` and ``hiprom program import FILE``: the home program handed over.

The clinician writes the session with its kept program as the JSON export every store reads
(``hiprom.export/1``); the patient's hiprom takes it into their own store, and the page's suggestions then
follow it (:mod:`hiprom.report.handover`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hiprom.cli.options import db_option
from hiprom.cli.store_cmd import open_store, write_text
from hiprom.overwrite import check_replaceable
from hiprom.rounding import counted

FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("export")
@click.argument("session_id")
@click.option("-o", "--output", type=FILE, default=None, help="JSON file to write (default: program-N.json).")
@db_option
def program_export(session_id: str, output: Path | None, db: str | None) -> None:
    """Write the session with its kept home program to hand to the person, who takes it in with
    'hiprom program import FILE' (the same file as 'hiprom sessions export N --format json')."""
    from hiprom.report import export_json
    from hiprom.report.handover import handed_over

    output = output or Path(f"program-{session_id.strip().lstrip('#')}.json")
    check_replaceable([output], "a JSON file")
    with open_store(db) as store:
        data = handed_over(store, session_id)
    write_text(output, json.dumps(export_json([data]), indent=2, ensure_ascii=False) + "\n")
    n = counted(len(data.program["items"]), "exercise") if data.program else ""
    whose = f" of {data.subject.pseudonym}" if data.subject else ""
    click.echo(f"Wrote {output}: session {data.session.id if data.session else session_id}{whose} with its home "
               f"program ({n}); on their own computer they take it in with 'hiprom program import {output.name}'.")


@click.command("import")
@click.argument("file", type=FILE)
@click.option("--subject", default=None, metavar="PSEUDONYM",
              help="Whose program it is here (default: the subject of the file's pseudonym, else a new one).")
@db_option(lead="The store to take it into")
def program_import(file: Path, subject: str | None, db: str | None) -> None:
    """Take in the home program a clinician handed over (the file 'hiprom program export' wrote): the page's
    suggestions then follow it, its exercises, doses and notes."""
    from hiprom.report.handover import take_in

    with open_store(db) as store:
        done = take_in(store, file, subject)
        handed = store.handed_program()
        program = store.program(handed) if handed is not None else None
    numbers = ", ".join(f"session {old} -> {new}" for old, new in done.numbers.items())
    if handed is None or handed not in done.numbers.values():
        click.echo(f"Imported {file} into {done.store} ({numbers}); the page does not follow its program: this "
                   "store holds a newer one, or programs kept here (a clinic's store).")
        return
    n = counted(len(program["items"]), "exercise") if program else ""
    click.echo(f"Took in the home program of {file} ({n}, kept with session {handed} here): the page's "
               "suggestions follow it from now on.")
