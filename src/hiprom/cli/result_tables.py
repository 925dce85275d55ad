"""The figures and the trials of one analysis as the terminal prints them.

``hiprom analyze`` and ``hiprom sessions show`` print these same tables, built
from the PDF report's rows (:mod:`hiprom.report.rows`): the same headings,
words, side order (left, then right) and one-decimal figures as the PDF and
the CSV, so a session reads the same wherever it is looked at.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from hiprom.assessment import wording
from hiprom.cli.store_cmd import make_table, safe, verdict_cell
from hiprom.landmarks import SIDES
from hiprom.report.figures import fmt
from hiprom.report.rows import (
    TRIAL_COLUMNS,
    UNCONFIRMED_NOTE,
    BAND_HEADING,
    angle,
    band_cell,
    larger_side,
    measure_rows,
    percent,
    trial_cells,
)
from hiprom.rounding import counted, shown

MAX_TRIAL_ROWS = 20
"""Trials a command lists; the exports have them all."""

TRIAL_COLUMNS_HERE = tuple(k for k in TRIAL_COLUMNS if k not in ("At (s)", "Method"))
"""The PDF's trial columns that fit an 80-column terminal: the time of the peak is within From–to,
and the method is in the exports."""

_VERDICT_STYLE = {"exceeds": "bold red", "inconclusive": "yellow"}


def whole(table: Table, *wrapping: str) -> Table:
    """``table`` with every column but the ``wrapping`` ones as wide as its widest cell, so a narrow
    terminal wraps the headings and the words rather than cutting a figure ("4.6–…", "inte…")."""
    for column in table.columns:
        words = str(column.header).split()
        column.min_width = max((len(w) for w in words), default=0)
        if column.header not in wrapping:
            column.min_width = max([column.min_width, *(len(str(cell)) for cell in column.cells)])
    return table


def figure_tables(fig: dict[str, Any]) -> list[RenderableType]:
    """The range-of-motion table (each measure: left then right, angle, ±, % of ref.), a line for a
    side not measured and what to do next time, the † note when a figure is unconfirmed, the
    asymmetry table, the legend, each decided measure's left/right sentence (the PDF's and the CSV's) and
    those it could not decide in one sentence (``fig["undecided"]``, the PDF's)."""
    rows = measure_rows(fig)
    out: list[RenderableType] = []
    rom = make_table("Range of motion (degrees)", ["Measure"] + [
        (heading, "right") for side in SIDES for heading in (side.capitalize(), "±", "% of ref.")] + [
        (BAND_HEADING, "right")])
    for row in rows:
        cells = [row["label"]]
        for side in SIDES:
            c = row["sides"][side]
            cells += [angle(c), fmt(c["unc"]), percent(c["pct"])]
        rom.add_row(*cells, band_cell(row["band"]))
    out.append(whole(rom, "Measure"))
    for side in SIDES if fig["measurable"] else ():  # not measurable at all: the summary names each side's reason
        reason = fig["sides"][side].get("not_measurable")
        if reason:
            out.append(Text.assemble((f"{side.capitalize()} side not measurable: ", "yellow"), safe(reason)))
    if fig["not_measurable_advice"]:  # what to film differently, as the PDF says it under its table
        out.append(Text(f"Next time: {fig['not_measurable_advice']}", style="yellow"))
    if any(c["deg"] is not None and not c["confirmed"] for row in rows for c in row["sides"].values()):
        out.append(Text(UNCONFIRMED_NOTE, style="yellow"))
    threshold = fig["asymmetry_threshold_deg"]
    asym = make_table("Left–right asymmetry (degrees)", [
        "Measure", ("Left − right", "right"), ("±", "right"), ("% of larger side", "right"), "Larger side",
        f"Against the {fmt(threshold, 0)}° threshold"])
    for row in rows:
        diff = shown(row["diff"], signed=True) or "—"
        asym.add_row(row["label"], verdict_cell(Text(diff), row["verdict"], mark=False), fmt(row["diff_unc"]),
                     percent(row["diff_pct"]), larger_side(row),
                     Text(row["verdict_words"], style=_VERDICT_STYLE.get(row["verdict"] or "", ""))
                     + (f"; {wording.WITHIN_MDC}" if row["within_mdc"] else ""))
    out.append(whole(asym, "Measure", asym.columns[-1].header))
    band_i, band_e = fig["bands"]["internal"], fig["bands"]["external"]
    mdc = fig["mdc_deg"]
    out.append(Text(
        f"{wording.PLUS_MINUS} % of ref. "
        f"compares with the reference {fmt(fig['norm_deg'], 0)}° per direction ({fmt(fig['arc_norm_deg'], 0)}° "
        f"total arc); the normal band of healthy hips is IR {fmt(band_i[0], 0)}–{fmt(band_i[1], 0)}°, "
        f"ER {fmt(band_e[0], 0)}–{fmt(band_e[1], 0)}°. Left − right is flagged when it exceeds "
        f"{fmt(threshold, 0)}° by more than twice its ±; a difference under the minimal detectable change "
        f"({fmt(mdc[0], 0)}–{fmt(mdc[1], 0)}°) may be measurement error.", style="dim"))
    # Each decided measure's sentence, then what the test could not decide said once, as the PDF's box says
    # it: "Cannot tell whether the sides differ by more than 10° in internal rotation (…) and total arc (…)".
    undecided = fig["undecided"]
    out += [verdict_cell(Text(row["sentence"]), row["verdict"], mark=False) for row in rows
            if not (undecided and row["verdict"] == "inconclusive" and row["diff"] is not None)]
    if undecided:
        out.append(Text(undecided, style=_VERDICT_STYLE["inconclusive"]))
    return out


def trials_table(fig: dict[str, Any], all_of_them: str) -> list[RenderableType]:
    """The trials table (at most :data:`MAX_TRIAL_ROWS`, in the order found), then, when some are left
    out, a line saying how many and where ``all_of_them`` are; ``[]`` without trials."""
    trials = fig["trials"]
    if not trials:
        return []
    table = make_table("Trials", [(k, TRIAL_COLUMNS[k]) for k in TRIAL_COLUMNS_HERE])
    for i, trial in enumerate(trials[:MAX_TRIAL_ROWS], start=1):
        cells = trial_cells(trial, i)
        counted_cell = Text(cells["Counted"], style="green" if trial.get("valid") else "red")
        table.add_row(*(counted_cell if k == "Counted" else safe(cells[k], missing="") for k in TRIAL_COLUMNS_HERE))
    out: list[RenderableType] = [whole(table, "Why not / flags")]
    more = len(trials) - MAX_TRIAL_ROWS
    if more > 0:
        out.append(Text(f"… and {counted(more, 'more trial')}; all are in {all_of_them}.", style="dim"))
    return out


def quality_notes(analysis: dict[str, Any]) -> list[RenderableType]:
    """The analysis's quality notes ("Left leg: no trial found (no turn of the foot was seen)."), as sentences
    (:func:`~hiprom.assessment.wording.quality_notes`), one dim ``note:`` line each; not why a part could
    not be measured, which the summary and :func:`figure_tables` say."""
    notes = wording.quality_notes(analysis, reasons_said=True)
    return [Text.assemble("note: ", safe(note), style="dim") for note in notes]
