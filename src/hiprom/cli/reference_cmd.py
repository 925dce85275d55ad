"""``hiprom sessions reference|references|delete-reference``: a clinician's own instrument readings.

Registered on the ``sessions`` group by :mod:`hiprom.cli.sessions_cmd`. A
reading is what the clinic's goniometer or inclinometer showed for the same
assessment; ``hiprom validate`` compares them with hiprom's figures.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from hiprom.cli.options import db_option, yes_option
from hiprom.cli.store_cmd import (
    DAY,
    console,
    json_option,
    make_table,
    num,
    open_store,
    print_json,
    require_yes,
    safe,
    time_cell,
)
from hiprom.errors import InputError
from hiprom.tables import read_spreadsheet

INSTRUMENT_CHOICES = ("goniometer", "inclinometer", "other")


def references_table(title: str, rows: list[Any]) -> Table:
    """Reference readings as a table (degrees)."""
    table = make_table(title, [("#", "right"), ("session", "right"), "date", "subject", "instrument", "rater",
                               ("L IR", "right"), ("L ER", "right"), ("R IR", "right"), ("R ER", "right")])
    for r in rows:
        table.add_row(str(r.id), str(r.session_id), time_cell(r.recorded_utc, with_time=False), safe(r.subject),
                      r.instrument, safe(r.rater), num(r.left_ir_deg), num(r.left_er_deg), num(r.right_ir_deg),
                      num(r.right_er_deg))
    return table


@click.command("reference")
@click.argument("session_id", required=False)
@click.option("--instrument", type=click.Choice(INSTRUMENT_CHOICES, case_sensitive=False), default=None,
              help="The instrument read (required unless --import).")
@click.option("--rater", default=None, help="Who read it (initials or a code).")
@click.option("--left-ir", "left_ir", default=None, metavar="DEG", help="Left internal rotation, degrees.")
@click.option("--left-er", "left_er", default=None, metavar="DEG", help="Left external rotation, degrees.")
@click.option("--right-ir", "right_ir", default=None, metavar="DEG", help="Right internal rotation, degrees.")
@click.option("--right-er", "right_er", default=None, metavar="DEG", help="Right external rotation, degrees.")
@click.option("--notes", default=None, help="Free-text notes.")
@click.option("--import", "import_csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Add every reading of a CSV file instead (columns in docs/validation.md); "
                   "nothing is stored if any row is bad.")
@click.option("--day-first/--month-first", "day_first", default=None,
              help="How --import reads dates such as 03/02/2026 (3 February / 2 March) when its other dates "
                   "do not tell.")
@db_option
@json_option
def reference(session_id: str | None, instrument: str | None, rater: str | None, left_ir: str | None,
              left_er: str | None, right_ir: str | None, right_er: str | None, notes: str | None,
              import_csv: Path | None, day_first: bool | None, db: str | None, as_json: bool) -> None:
    """Store your own instrument's readings beside session SESSION_ID (any subset of the four angles).

    Example: hiprom sessions reference 12 --left-ir 32 --right-er 41 --instrument goniometer --rater A

    With --import, a file's rows name their sessions by number or by subject and date (docs/validation.md).
    """
    from hiprom.store import ReferenceInput
    from hiprom.store.reference_csv import import_reference_csv

    if import_csv is not None:
        if session_id is not None or instrument is not None:
            raise InputError("--import reads sessions and instruments from the file; give no SESSION_ID or "
                             "--instrument with it")
        text = read_spreadsheet(import_csv)
        with open_store(db) as store:
            records = import_reference_csv(store, text, where=str(import_csv), day_first=day_first)
    else:
        if day_first is not None:
            raise InputError("--day-first and --month-first say how --import reads a file's dates; "
                             "give them with --import FILE.csv")
        if session_id is None:
            raise InputError("give a session number (see 'hiprom sessions list') or --import FILE.csv")
        if instrument is None:
            raise InputError("--instrument is required: goniometer, inclinometer or other")
        try:
            reading = ReferenceInput(instrument=instrument, rater=rater, left_ir_deg=left_ir, left_er_deg=left_er,
                                     right_ir_deg=right_ir, right_er_deg=right_er, notes=notes)
        except InputError as exc:
            raise InputError(_option_names(str(exc))) from None
        with open_store(db) as store:
            records = [store.add_reference(session_id, reading)]
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    if len(records) == 1:
        r = records[0]
        console().print(Text(f"Stored reference reading #{r.id} ({r.instrument}) with session #{r.session_id}."))
    else:
        console().print(Text(f"Stored {len(records)} reference readings from {import_csv}."))


def _option_names(message: str) -> str:
    """A reading's message with its field names as the options the user typed (``left_ir_deg`` -> ``--left-ir``)."""
    for field in ("left_ir", "left_er", "right_ir", "right_er"):
        message = message.replace(f"{field}_deg:", f"--{field.replace('_', '-')}:")
    return message


@click.command("references")
@click.option("--subject", default=None, help="Only this subject's sessions (pseudonym).")
@click.option("--since", type=DAY, default=None, help="Sessions on or after YYYY-MM-DD.")
@click.option("--until", type=DAY, default=None, help="Sessions on or before YYYY-MM-DD.")
@click.option("--instrument", type=click.Choice(INSTRUMENT_CHOICES, case_sensitive=False), default=None)
@click.option("--rater", default=None)
@db_option
@json_option
def references(subject: str | None, since: date | None, until: date | None, instrument: str | None, rater: str | None,
               db: str | None, as_json: bool) -> None:
    """List stored reference readings (degrees), oldest session first."""
    with open_store(db) as store:
        rows = store.references(subject=subject, since=since, until=until, instrument=instrument,
                                rater=rater)
        where = store.where
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    if not rows:
        console().print(f"No reference readings in {where}; add one with 'hiprom sessions reference'.")
        return
    console().print(references_table(f"Reference readings in {where}", rows))


@click.command("delete-reference")
@click.argument("reference_id")
@yes_option
@db_option
def delete_reference(reference_id: str, yes: bool, db: str | None) -> None:
    """Delete one reference reading (by its number, shown by 'hiprom sessions references')."""
    with open_store(db) as store:
        require_yes(yes, f"reference reading #{reference_id}")
        store.delete_reference(reference_id)
    console().print(Text(f"Deleted reference reading #{reference_id}."))
