"""``hiprom subjects ...`` and ``hiprom sessions ...``: the clinician's records.

Every command takes ``--db`` (an SQLite file or database URL; default
``HIPROM_DB_URL``, else ``hiprom.db`` in the data folder). Lists and details
print Rich tables, or JSON with ``--json``. Values a user typed are printed as
plain text (never as Rich markup) with control characters replaced, so a name
cannot restyle or drive the terminal.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text

from hiprom.atomic import atomic_write
from hiprom.cli.encoding import fitted
from hiprom.cli.options import db_option, recorded_option
from hiprom.errors import InputError
from hiprom.overwrite import check_replaceable
from hiprom.report.figures import fmt
from hiprom.rounding import counted

F = TypeVar("F", bound=Callable[..., Any])

# -- helpers shared with ``hiprom report`` -------------------------------------


class Day(click.ParamType):
    """A day typed as ``YYYY-MM-DD`` (a ``date``); anything else is refused with an example, not a strftime pattern."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", text):
            self.fail(f"{value!r} is not a day written YYYY-MM-DD; write it like 2026-03-31", param, ctx)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a day of the calendar; write it YYYY-MM-DD, like 2026-03-31", param, ctx)


DAY = Day()
"""The type of the ``--since`` / ``--until`` options."""


def json_option(func: F) -> F:
    """``--json``: print JSON instead of the text (a flag, where ``analyze``'s and ``report``'s take a file)."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print JSON (for scripts) on stdout instead of the text; a flag, not a file "
                             "name: keep it with '--json > FILE'.")(func)


def open_store(db: str | None) -> Any:
    """Open the store (imported late so ``hiprom --help`` stays fast).

    A file named by ``--db`` or ``HIPROM_DB_URL`` must exist ('hiprom store
    init' makes one); only the default location is created on first use.
    """
    from hiprom.store import Store

    return Store(db, create=False)


class StdoutConsole(Console):
    """A Rich console for stdout whose closed pipe ends the command as every other command ends.

    Rich would exit 1 with no message; raising ``BrokenPipeError`` lets
    ``hiprom.cli.main`` end quietly with the documented code.
    """

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError(32, "the reader of stdout has gone")


class _UnpaddedLines(io.TextIOBase):
    """Standard output as a file or a pipe gets it: each line without the spaces Rich pads it with to
    its table's width (a long summary padded every line of ``sessions show > out.txt`` to 200 columns)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._line = ""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._out.encoding

    def write(self, text: str) -> int:
        *lines, self._line = (self._line + text).split("\n")
        if lines:
            self._out.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self._line:  # a print without a newline: written as it is
            self._out.write(self._line)
            self._line = ""
        self._out.flush()


def console() -> Console:
    """A stdout console; to a file or pipe 200 columns wide, so rows are not cut, and its lines
    without trailing spaces (:class:`_UnpaddedLines`)."""
    if sys.stdout.isatty():
        return StdoutConsole(highlight=False)
    return StdoutConsole(file=_UnpaddedLines(sys.stdout), width=200, highlight=False)


def safe(value: Any, missing: str = "—") -> Text:
    """User text as a Rich ``Text`` (never markup), control characters shown as '?'."""
    if value is None or value == "":
        return Text(missing, style="dim")
    return Text("".join("?" if (ord(c) < 32 or 127 <= ord(c) < 160) else c for c in str(value)))


def time_cell(utc: str | None, *, with_time: bool = True) -> Text:
    """A stored UTC time as the clinic reads it (:func:`~hiprom.store.records.shown_time`), or a dim dash."""
    from hiprom.store.records import shown_time

    return safe(shown_time(utc, with_time=with_time))


def num(value: Any, suffix: str = "") -> Text:
    """A figure rounded as in the report (``32.1``), or a dim dash."""
    text = fmt(value)
    return Text("—", style="dim") if text == "—" else Text(text + suffix)


def verdict_cell(text: Text, verdict: str | None, mark: bool = True) -> Text:
    """A left/right difference styled by its verdict, as ``hiprom analyze`` prints it.

    ``exceeds`` bold red with ``!``, ``inconclusive`` (cannot tell with this
    uncertainty) yellow with ``?``; ``mark=False`` styles without the mark.
    """
    style, sign = {"exceeds": ("bold red", "!"), "inconclusive": ("yellow", "?")}.get(verdict or "", ("", ""))
    if mark and sign:
        text = text + Text(f" {sign}")
    if style:
        text.stylize(style)
    return text


class _TitledTable(Table):
    """A table whose title is a line of its own, as wide as the terminal.

    Rich wraps a title to the table's width, so "Chair rotation, foot outward,
    left leg: 2 of 20 reps" above a narrow table broke after "2".
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        title, self.title = self.title, None
        try:
            if title:
                yield Text(str(title), style="bold")
            yield from super().__rich_console__(console, options)
        finally:
            self.title = title

    def add_row(self, *renderables: RenderableType | None, **kwargs: Any) -> None:
        """A row whose text is fitted to stdout's encoding first (:func:`hiprom.cli.encoding.fitted`)."""
        super().add_row(*(_fitted_cell(cell) for cell in renderables), **kwargs)


def _fitted_cell(cell: RenderableType | None) -> RenderableType | None:
    """A cell as stdout can show it, measured by Rich as it will be printed."""
    if isinstance(cell, str):
        return fitted(cell)
    if isinstance(cell, Text) and fitted(cell.plain) != cell.plain:
        return Text(fitted(cell.plain), style=cell.style)
    return cell


def make_table(title: str | None, columns: Iterable[str | tuple[str, str]]) -> Table:
    """A Rich table with a bold title line; a column given as ``(name, "right")`` is right-aligned."""
    table = _TitledTable(title=title, header_style="bold", show_edge=False, pad_edge=False)
    for col in columns:
        name, justify = col if isinstance(col, tuple) else (col, "left")
        table.add_column(fitted(name), justify=justify)  # type: ignore[arg-type]
    return table


def print_json(value: Any) -> None:
    """JSON on stdout, UTF-8 (names read as typed)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


STDOUT = Path("-")
"""An output named ``-`` (``--json -``) is standard output."""


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically as UTF-8, or to stdout when ``path`` is ``-``."""
    if Path(path) == STDOUT:
        click.echo(text, nl=False)
        return STDOUT
    with atomic_write(path, "w") as fh:
        fh.write(text)
    return Path(path)


def saved_words(record: Any) -> str:
    """What ``sessions add`` and ``analyze --save`` say of the session they stored, and where to see it next
    (the page says the same: "Saved as session #3 for P-7")."""
    who = f" for {record.subject}" if record.subject else ""
    return (f"Saved as session #{record.id}{who} ({counted(record.n_trials, 'trial')}): "
            f"'hiprom sessions show {record.id}' shows it, 'hiprom report {record.id}' writes its PDF.")


EXIT_DECLINED = 1
"""Exit code when the user answers no to "Delete ...?": nothing was done."""


def require_yes(yes: bool, what: str) -> None:
    """Ask before deleting; without a terminal to ask, insist on ``--yes``.

    The question is written through ``sys.stderr`` and the answer read from
    stdin here, not with ``click.confirm``: ``input()`` writes its prompt to
    file descriptor 2, which ``hiprom.cli.main`` points at the null device (to
    hide MediaPipe's native log), so the question would be invisible.
    Anything but y/yes ends the command with "nothing deleted" and exit code 1.
    """
    ask_yes(yes, f"Delete {what}? This cannot be undone", f"deleting {what}", "nothing deleted")


def ask_yes(yes: bool, question: str, doing: str, declined: str) -> None:
    """Ask ``question`` [y/N] on the terminal (see :func:`require_yes`); anything but yes: ``declined``, exit 1."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(f"{doing} needs --yes when not run from a terminal")
    click.echo(f"{question} [y/N]: ", nl=False, err=True)
    answer = sys.stdin.readline()  # "" at end of input (Ctrl-D): a no
    if answer.strip().lower() not in ("y", "yes"):
        click.echo(declined, err=True)
        raise click.exceptions.Exit(EXIT_DECLINED)


# -- subjects ------------------------------------------------------------------


@click.group()
def subjects() -> None:
    """List, add, show, rename and delete subjects (people assessed, by pseudonym)."""


LIST_LIMIT = 50
"""Rows the tables of ``hiprom subjects list`` and ``sessions list`` show unless told (a clinic's
years do not fit a screen)."""


def _listed(limit: int | None, show_all: bool, as_json: bool) -> int | None:
    """How many rows a list command reads: ``--limit``, every one (``--all``, ``--json``) or ``LIST_LIMIT``."""
    if show_all and limit is not None:
        raise InputError("give --limit N or --all, not both")
    return LIST_LIMIT if limit is None and not show_all and not as_json else limit


@subjects.command("list")
@click.option("--find", default=None, metavar="TEXT", help="Only subjects whose pseudonym or name contains TEXT (case and accents ignored: elise finds Élise).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help=f"At most this many, by pseudonym (default: {LIST_LIMIT} in the table, all with --json).")
@click.option("--all", "show_all", is_flag=True, help="Every subject, however many.")
@db_option
@json_option
def subjects_list(find: str | None, limit: int | None, show_all: bool, db: str | None, as_json: bool) -> None:
    """List subjects by pseudonym with their number of sessions; the table shows the first 50 unless told."""
    limit = _listed(limit, show_all, as_json)
    with open_store(db) as store:
        rows, total = store.subjects_counted(find, limit=limit)
        where = store.where
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    if not rows:
        console().print(f"No subject's pseudonym or name contains {find!r} in {where}." if find else
                        f"No subjects yet in {where}; add one with 'hiprom subjects add'.")
        return
    table = make_table(f"Subjects in {where}", ["pseudonym", "name", "born", ("sessions", "right"), "added"])
    for r in rows:
        table.add_row(safe(r.pseudonym), safe(r.name), safe(r.date_of_birth), str(r.n_sessions),
                      time_cell(r.created_utc, with_time=False))
    console().print(table)
    if total > len(rows):
        narrow = "" if find else ", --find TEXT for a pseudonym or name"
        console().print(Text(f"The first {len(rows)} of {total} subjects by pseudonym; --limit N for more, "
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
    out = console()
    details = make_table(None, ["", ""])
    details.show_header = False
    for label, value in (("pseudonym", record.pseudonym), ("name", record.name),
                         ("date of birth", record.date_of_birth), ("notes", record.notes),
                         ("added", shown_time(record.created_utc))):
        details.add_row(Text(label, style="dim"), safe(value))
    out.print(details)
    from hiprom.cli.session_list import sessions_tables

    for item in sessions_tables(f"Sessions of {record.pseudonym}", sessions, out.width, subject=False):
        out.print(item)


@subjects.command("delete")
@click.argument("subject")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@db_option
def subjects_delete(subject: str, yes: bool, db: str | None) -> None:
    """Delete a subject and ALL its sessions."""
    with open_store(db) as store:
        record = store.subject(subject)
        require_yes(yes, f"subject {record.pseudonym!r} and its {counted(record.n_sessions, 'session')}")
        n = store.delete_subject(record.id)
    console().print(Text(f"Deleted subject {record.pseudonym} and {counted(n, 'session')}."))


# -- sessions ------------------------------------------------------------------


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
    limit = _listed(limit, show_all, as_json)
    with open_store(db) as store:
        rows = store.sessions(subject, limit=limit)
        total = len(rows)
        if limit is not None and total == limit:
            total = store.n_sessions(subject)
        where = store.where
    if as_json:
        print_json([r.to_dict(with_analysis=False) for r in rows])
        return
    if not rows:
        console().print(f"No sessions in {where}; save one with 'hiprom sessions add' or 'hiprom analyze --save'.")
        return
    from hiprom.cli.session_list import sessions_tables

    out = console()
    for item in sessions_tables(f"Sessions in {where}", rows, out.width):
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
                   "PREFIX.series.csv. Default: print to stdout.")
@click.option("--table", type=click.Choice(["summary", "trials", "series"]), default="summary",
              show_default=True, help="CSV to stdout: which table.")
@db_option
def sessions_export(session_ids: tuple[str, ...], fmt_: str, output: Path | None, table: str,
                    db: str | None) -> None:
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
        click.echo(csv_text(items, table), nl=False)
        return
    for path in write_csv(items, output).values():
        click.echo(f"Wrote {path}", err=True)


@sessions.command("delete")
@click.argument("session_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
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
    and ``move`` to ``sessions``, ``rename`` to ``subjects``."""
    from hiprom.cli import edit_cmd, reference_cmd

    for command in (reference_cmd.reference, reference_cmd.references, reference_cmd.delete_reference,
                    edit_cmd.move):
        sessions.add_command(command)
    subjects.add_command(edit_cmd.rename)


_register_commands()
