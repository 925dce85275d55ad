"""``hiprom sessions ...``: the stored assessments (list, show, add, export, delete; ``reference``,
``references``, ``delete-reference`` and ``move`` kept in :mod:`hiprom.cli.reference_cmd` and
:mod:`hiprom.cli.edit_cmd`).

Every command takes ``--db`` (an SQLite file or database URL; default ``HIPROM_DB_URL``, else
``hiprom.db`` in the data folder); lists and details print tables, or JSON with ``--json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.text import Text

from hiprom.cli.options import csv_style_option, db_option, recorded_option, yes_option
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
    saved_words,
    write_text,
)
from hiprom.overwrite import check_replaceable
from hiprom.tables import CsvStyle


@click.group()
def sessions() -> None:
    """List, show, export, add, move and delete stored sessions."""


@sessions.command("list")
@click.option("--subject", default=None, help="Only this subject's sessions (pseudonym or number).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help=f"At most this many, newest first (default: {LIST_LIMIT} in the table, all with --json).")
@click.option("--all", "show_all", is_flag=True, help="Every session, however many.")
@db_option
@json_option
def sessions_list(subject: str | None, limit: int | None, show_all: bool, db: str | None, as_json: bool) -> None:
    """List sessions, newest first (figures in degrees); the table shows the newest 50 unless told."""
    limit = listed(limit, show_all, as_json)
    with open_store(db) as store:
        rows = store.sessions(subject, limit=limit)
        total = len(rows)
        if limit is not None and total == limit:
            total = store.n_sessions(subject)
        where = store.where
        if as_json:
            print_json([r.to_dict(with_analysis=False) for r in rows])
            return
        from hiprom.cli.session_list import sessions_tables, verdicts_again

        again = verdicts_again(store, rows)
    if not rows:
        console().print(f"No sessions in {where}; save one with 'hiprom sessions add' or 'hiprom analyze --save'.")
        return
    out = console()
    for item in sessions_tables(f"Sessions in {where}", rows, out.width, again=again):
        out.print(item)
    if total > len(rows):
        one_person = "" if subject is not None else ", --subject for one person's"
        console().print(Text(f"The newest {len(rows)} of {total} sessions; --limit N for more, "
                             f"--all for every one{one_person}.", style="dim"))


@sessions.command("show")
@click.argument("session_id")
@db_option
@json_option
def sessions_show(session_id: str, db: str | None, as_json: bool) -> None:
    """Show a session: details, figures per side, asymmetry and trials."""
    from hiprom.cli.result_tables import figure_tables, quality_notes, trials_table
    from hiprom.report.figures import summary
    from hiprom.report.rows import recording_words
    from hiprom.store.records import shown_time

    with open_store(db) as store:
        record = store.session(session_id)
        subject = store.subject(record.subject_id) if record.subject_id is not None else None
        refs = store.references(record.id)
    if as_json:
        print_json({**record.to_dict(), "subject": subject.to_dict() if subject else None,
                    "references": [r.to_dict() for r in refs]})
        return
    assert record.analysis is not None
    fig = summary(record.analysis)
    out = console()
    details = make_table(f"Session #{record.id}", ["", ""])
    details.show_header = False
    for label, value in (
        ("subject", subject.pseudonym if subject else None), ("name", subject.name if subject else None),
        ("date of birth", subject.date_of_birth if subject else None),
        ("assessed", shown_time(record.recorded_utc)), ("operator", record.operator), ("source", record.source),
        ("recording", recording_words(record.analysis)), ("model", record.model), ("camera", record.camera),
        ("notes", record.notes),
        ("summary", fig.get("verdict")),
    ):
        details.add_row(Text(label, style="dim"), safe(value))
    out.print(details)
    for item in figure_tables(fig):
        out.print(item)
    if fig["camera_position"]:
        out.print(Text(" ".join([fig["camera_position"], *fig["camera_advice"]]), style="dim"))
    for item in [*trials_table(fig, f"'hiprom sessions export {record.id} --format csv --table trials'"),
                 *quality_notes(record.analysis)]:
        out.print(item)
    if refs:
        from hiprom.cli.reference_cmd import references_table

        out.print(references_table("Reference readings (your instrument)", refs))


@sessions.command("add")
@click.argument("analysis_json", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--subject", default=None, help="Pseudonym (added if new) or number of the subject.")
@click.option("--operator", default=None, help="Who ran the assessment.")
@click.option("--notes", default=None, help="Free-text notes on the session.")
@click.option("--camera", default=None, help="Camera used (make, model, resolution).")
@click.option("--landmarks", "landmarks_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the .landmarks.npz the analysis was made from (for peak pictures in reports).")
@recorded_option
@db_option
@json_option
def sessions_add(analysis_json: Path, subject: str | None, operator: str | None, notes: str | None,
                 camera: str | None, landmarks_path: Path | None, recorded: str | None, db: str | None,
                 as_json: bool) -> None:
    """Store an analysis file (from 'hiprom analyze --json') as a session."""
    from hiprom.recording import LandmarkRecording
    from hiprom.report.data import load_analysis_file
    from hiprom.store.records import parse_visit_time

    when = parse_visit_time(recorded) if recorded is not None else None
    analysis = load_analysis_file(analysis_json)
    landmarks = LandmarkRecording.load(landmarks_path) if landmarks_path is not None else None
    with open_store(db) as store:
        record = store.save_analysis(analysis, subject=subject, operator=operator, notes=notes, camera=camera,
                                     landmarks=landmarks, recorded_utc=when)
    if as_json:
        print_json(record.to_dict(with_analysis=False))
        return
    console().print(Text(saved_words(record)))


@sessions.command("export")
@click.argument("session_ids", nargs=-1, required=True)
@click.option("--format", "fmt_", type=click.Choice(["json", "csv"]), default="json", show_default=True,
              help="JSON (everything) or CSV (tables).")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="JSON: the file. CSV: a path prefix; writes PREFIX.summary.csv, PREFIX.trials.csv, "
                   "PREFIX.series.csv, PREFIX.exercises.csv. Default: print to stdout.")
@click.option("--table", type=click.Choice(["summary", "trials", "series", "exercises"]), default="summary",
              show_default=True, help="CSV to stdout: which table.")
@csv_style_option("CSV")
@db_option
def sessions_export(session_ids: tuple[str, ...], fmt_: str, output: Path | None, table: str,
                    csv_style: CsvStyle, db: str | None) -> None:
    """Export sessions as JSON or CSV (one row per session in the CSV summary)."""
    from hiprom.report import ReportData, csv_text, export_json, write_csv
    from hiprom.report.exports import csv_paths

    if output is not None:
        if fmt_ == "json":
            check_replaceable([output], "a JSON file")
        else:
            check_replaceable(csv_paths(output).values(), "a CSV table")
    with open_store(db) as store:
        items = ReportData.from_store_many(store, session_ids)
    if fmt_ == "json":
        text = json.dumps(export_json(items), indent=2, ensure_ascii=False) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            write_text(output, text)
            click.echo(f"Wrote {output}", err=True)
        return
    if output is None:
        click.echo(csv_text(items, table, csv_style), nl=False)
        return
    for path in write_csv(items, output, csv_style).values():
        click.echo(f"Wrote {path}", err=True)


@sessions.command("delete")
@click.argument("session_id")
@yes_option
@db_option
def sessions_delete(session_id: str, yes: bool, db: str | None) -> None:
    """Delete a session with its trials, series and reference readings."""
    with open_store(db) as store:
        record = store.session(session_id, with_analysis=False)
        require_yes(yes, f"session #{record.id}")
        store.delete_session(record.id)
    console().print(Text(f"Deleted session #{record.id}."))



def _register_commands() -> None:
    """Add the commands kept in their own modules: ``reference``, ``references``, ``delete-reference``
    and ``move``."""
    from hiprom.cli import edit_cmd, reference_cmd

    for command in (reference_cmd.reference, reference_cmd.references, reference_cmd.delete_reference,
                    edit_cmd.move):
        sessions.add_command(command)


_register_commands()
