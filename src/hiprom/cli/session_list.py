"""The table of a list of sessions (``hiprom sessions list``, ``hiprom subjects show``).

One row per session: its number, day and time, subject, operator, each side's IR and ER, the
left-right difference of the total arc and its verdict in the asymmetry table's words
(:func:`hiprom.report.rows.verdict_words`), and the source. The table fits the terminal without
cutting a day, a pseudonym or a figure (:func:`sessions_tables`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from hiprom.assessment.summary import judged_asymmetry, overall_verdict
from hiprom.cli.store_cmd import make_table, num, safe, time_cell, verdict_cell
from hiprom.report.rows import HISTORY_DIFFERENCE, verdict_words

if TYPE_CHECKING:
    from hiprom.store import Store

NOT_COMPARED = "not compared"
"""The list's left/right cell of a test whose sides could not be compared (one not measured)."""


def verdicts_again(store: Store, rows: Sequence[Any]) -> dict[int, tuple[str | None, str | None]]:
    """Per listed session saved before three-way verdicts existed (hiprom 0.1: no stored verdict, yet
    a compared arc), what it said by its flags and its verdict worked out again with today's rule
    (:func:`hiprom.assessment.summary.judged_asymmetry`), from its stored figures and ±. Its analysis
    is read for this, so the list judges it as its report does; the store keeps it as saved."""
    again = {}
    for r in rows:
        if r.asymmetry_verdict is None and r.asymmetry_arc_deg is not None:
            asym = judged_asymmetry(store.analysis(r.id))
            again[r.id] = (overall_verdict(asym["saved_verdicts"]), overall_verdict(asym["verdicts"]))
    return again


def _verdict(record: Any, again: Mapping[int, tuple[str | None, str | None]]) -> str | None:
    """The whole test's left/right verdict the list shows: stored, else worked out again (:func:`verdicts_again`)."""
    return again[record.id][1] if record.id in again else record.asymmetry_verdict


def _verdict_words(record: Any, again: Mapping[int, tuple[str | None, str | None]]) -> str:
    """The list's left/right column of a session, in the asymmetry table's words
    (:func:`hiprom.report.rows.verdict_words`: ``⚑ exceeds``, ``? cannot tell``, ``within``), never a blank.

    A test whose sides could not be compared (one not measured) says "not compared", as its report
    does, so a blank never stands for "no answer". A session saved before three-way verdicts existed
    is read as its report reads it (:func:`verdicts_again`); it read "within" by its flag alone
    beside its report's "cannot tell".
    """
    verdict = _verdict(record, again)
    if verdict is None and record.asymmetry_arc_deg is None:
        return NOT_COMPARED
    if verdict is None:
        return verdict_words("exceeds" if record.asymmetry_flagged else "within")
    return verdict_words(verdict)


def _again_line(rows: Sequence[Any], again: Mapping[int, tuple[str | None, str | None]]) -> Text | None:
    """The one line under a list saying which sessions' verdicts were worked out again, and what they said."""
    changed = [r for r in rows if r.id in again and again[r.id][0] != again[r.id][1]]
    if not changed:
        return None
    numbers = ", ".join(str(r.id) for r in changed)
    said = {(r.hiprom_version or "0.1", verdict_words(again[r.id][0])) for r in changed}
    said_words = ("; ".join(f"hiprom {version} said: {words}" for version, words in sorted(said)) if len(said) == 1
                  else "; ".join(f"session {r.id} (hiprom {r.hiprom_version or '0.1'}) said: "
                                 f"{verdict_words(again[r.id][0])}" for r in changed))
    whose = f"Session {numbers}'s" if len(changed) == 1 else f"Sessions {numbers}'"
    return Text(f"{whose} left/right verdict worked out again with today's rule, which allows for the ± of "
                f"each side; {said_words}.", style="dim")


SESSION_COLUMNS: dict[str, str] = {
    "#": "right", "date": "left", "subject": "left", "operator": "left", "L IR": "right", "L ER": "right",
    "R IR": "right", "R ER": "right", HISTORY_DIFFERENCE: "right", "asymmetry": "left", "source": "left",
}
"""The columns of a list of sessions, each with its alignment (figures to the right)."""

FOLDED = ("operator", "source")
"""The columns whose long words (a file name) fold onto more lines in a narrow terminal, not cut ("demo_s…")."""
FOLDED_MIN = 10
"""The narrowest a :data:`FOLDED` column is made to fit a terminal; narrower still, it is left out."""
SIDE_FIGURES = ("L IR", "L ER", "R IR", "R ER")
"""Each side's figures: left out next, in a terminal too narrow for them (under about 73 columns), as
the least needed to pick a session: its left/right difference and verdict stay, 'sessions show' has them."""
LEFT_OUT = ((), FOLDED, FOLDED + SIDE_FIGURES)
"""The columns left out of each layout, tried in order until one fits."""
LEFT_OUT_WORDS = {"operator": "operator", "source": "source", "L IR": "each side's IR and ER"}
"""How the line under a narrowed list names the columns it left out."""
A_DAY = "2026-03-02"
"""A day as the lists print it: the narrowest the date column is made."""


def sessions_tables(title: str, rows: list[Any], width: int, *, subject: bool = True,
                    again: Mapping[int, tuple[str | None, str | None]] | None = None) -> list[RenderableType]:
    """A list of sessions as a table that fits ``width`` columns without cutting a day, a pseudonym or a
    figure (a narrow terminal cut them to "2026…", "P-山…"): every column when they fit, the operator
    and the source folded onto more lines when long; else without those two, and narrower still without
    each side's figures (:data:`LEFT_OUT`), with a line saying so; readable down to 60 columns.
    ``subject=False`` leaves out the subject column (a list of one subject's sessions); ``again``: the
    verdicts of sessions saved before three-way verdicts existed (:func:`verdicts_again`), said under it."""
    again = again or {}
    columns = [c for c in SESSION_COLUMNS if subject or c != "subject"]
    for left_out in LEFT_OUT:
        shown_columns = [c for c in columns if c not in left_out]
        table = make_table(title, [(c, SESSION_COLUMNS[c]) for c in shown_columns])
        for r in rows:
            cells = {
                "#": Text(str(r.id)), "date": time_cell(r.recorded_utc), "subject": safe(r.subject),
                "operator": safe(r.operator), "L IR": num(r.left_ir_deg), "L ER": num(r.left_er_deg),
                "R IR": num(r.right_ir_deg), "R ER": num(r.right_er_deg), HISTORY_DIFFERENCE: num(r.asymmetry_arc_deg),
                "asymmetry": verdict_cell(Text(_verdict_words(r, again)), _verdict(r, again), mark=False),
                "source": safe(r.source),
            }
            table.add_row(*(cells[c] for c in shown_columns))
        for column in table.columns:
            if column.header in FOLDED:
                column.overflow = "fold"
            else:  # the day whole ("2026-03-02", its time under it if need be), every other cell whole
                cells = [Text(A_DAY)] if column.header == "date" else column.cells
                column.min_width = max(cell_len(str(c)) for c in [str(column.header).split()[0], *cells])
        if _fit(table, width):
            break
    said_again = [line] if (line := _again_line(rows, again)) else []
    if not left_out:
        return [table, *said_again]
    named = [LEFT_OUT_WORDS[c] for c in left_out if c in LEFT_OUT_WORDS]
    said = " and ".join(named) if len(named) < 3 else f"{', '.join(named[:-1])} and {named[-1]}"
    return [table, Text(f"{said[:1].upper()}{said[1:]} left out to fit {width} columns: "
                        "'hiprom sessions show N' gives them, as does a wider terminal.", style="dim"), *said_again]


def _fit(table: Table, width: int) -> bool:
    """Whether ``table`` fits ``width`` columns with every cell whole but those of its :data:`FOLDED`
    columns, which fold at :data:`FOLDED_MIN` or wider; if so, sets each column's width, handing the room
    left to each day's time first, then whole headings, then the folded columns (Rich's own layout would
    cut cells of a table this tight).
    """
    natural = {id(c): max(cell_len(str(cell)) for cell in [c.header, *c.cells]) for c in table.columns}
    least = {id(c): c.min_width or 0 for c in table.columns}
    for column in table.columns:
        if column.header in FOLDED:
            least[id(column)] = max(min(FOLDED_MIN, natural[id(column)]),
                                    *(cell_len(w) for w in str(column.header).split()))
    gaps = 3 * (len(table.columns) - 1)  # " │ " between columns; no edges (make_table)
    room = width - gaps - sum(least.values())
    if room < 0:
        return False
    folded = sum(1 for c in table.columns if c.header in FOLDED)
    for column in sorted(table.columns, key=lambda c: (c.header != "date", c.header in FOLDED)):
        wanted = natural[id(column)] - least[id(column)]
        if column.header == "date":  # the time beside the day, or under it ("10:00 UTC"), never split
            extra = wanted if wanted <= room else 0
        else:
            extra = min(wanted, room // folded if column.header in FOLDED else room)
        column.width = least[id(column)] + extra
        room -= extra
    return True
