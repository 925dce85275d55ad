"""``hiprom subjects export``: a copy of everything the store holds of one person, for them to take.

A patient who asks for their data (portability) gets it in one command: the
``hiprom.export/1`` JSON of every one of their sessions (their details, each
session's analysis and per-frame series, reference readings, home program and
counted exercises: an open, documented format that ``hiprom store import``
reads at another clinic) and, beside it, each landmark recording the store
kept (``.landmarks.npz``, NumPy's open format). Registered on the
``subjects`` group by :mod:`hiprom.cli.subjects_cmd`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from hiprom.atomic import atomic_write
from hiprom.cli.options import db_option
from hiprom.cli.store_cmd import open_store
from hiprom.errors import InputError
from hiprom.overwrite import check_replaceable
from hiprom.rounding import counted


def recording_path(output: Path, session_id: int) -> Path:
    """Where the landmark recording of session ``session_id`` goes beside ``output`` (``p.session-12.landmarks.npz``)."""
    return output.with_name(f"{output.stem}.session-{session_id}.landmarks.npz")


@click.command("export")
@click.argument("subject")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The JSON file to write; each kept landmark recording goes beside it as "
                   "NAME.session-N.landmarks.npz.")
@db_option
def export(subject: str, output: Path, db: str | None) -> None:
    """Write everything stored of SUBJECT (pseudonym or number): every session with its details, analysis,
    series, readings, program and exercises (JSON), and the landmark recordings kept (.npz)."""
    from hiprom.report import ReportData
    from hiprom.report.data import utc_stamp
    from hiprom.report.exports import export_dict

    with open_store(db) as store, store.snapshot():  # all of them as of one moment (an erasure or a move meanwhile)
        record = store.subject(subject)
        sessions = store.sessions(record.id)[::-1]  # oldest first
        if not sessions:
            raise InputError(f"subject {record.pseudonym!r} has no stored session; all the store holds of them "
                             f"is in 'hiprom subjects show {record.pseudonym} --json'")
        recordings = {s.id: store.landmarks(s.id) for s in sessions if s.has_landmarks}
        check_replaceable([output], "a JSON file")
        check_replaceable([recording_path(output, sid) for sid in recordings], "a landmarks recording")
        stamp = utc_stamp()
        items = [export_dict(item, stamp) for item in ReportData.from_store_many(store, [s.id for s in sessions])]
    written = []
    for sid, blob in recordings.items():
        if blob is not None:
            with atomic_write(recording_path(output, sid)) as fh:
                fh.write(blob)
            written.append(recording_path(output, sid))
    with atomic_write(output, "w") as fh:
        fh.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
    click.echo(f"Wrote everything stored of {record.pseudonym}: {counted(len(items), 'session')} with their "
               f"details, analyses, readings, programs and counted exercises to {output}"
               + (f", and {counted(len(written), 'landmark recording')} beside it" if written else "") + ".")
    for path in written:
        click.echo(f"  {path}")
