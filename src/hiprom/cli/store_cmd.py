"""What the records commands share: the store opened, tables, JSON, safe text, confirmation.

The commands themselves are ``hiprom subjects ...`` (:mod:`hiprom.cli.subjects_cmd`) and ``hiprom
sessions ...`` (:mod:`hiprom.cli.sessions_cmd`); ``report``, ``analyze``, ``validate`` and the
exercises commands use these helpers too. Every records command takes ``--db`` (an SQLite file or database URL; default
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
from hiprom.errors import InputError
from hiprom.report.figures import fmt
from hiprom.rounding import counted

F = TypeVar("F", bound=Callable[..., Any])



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


LIST_LIMIT = 50
"""Rows the tables of ``hiprom subjects list`` and ``sessions list`` show unless told (a clinic's
years do not fit a screen)."""


def listed(limit: int | None, show_all: bool, as_json: bool) -> int | None:
    """How many rows a list command reads: ``--limit``, every one (``--all``, ``--json``) or ``LIST_LIMIT``."""
    if show_all and limit is not None:
        raise InputError("give --limit N or --all, not both")
    return LIST_LIMIT if limit is None and not show_all and not as_json else limit
