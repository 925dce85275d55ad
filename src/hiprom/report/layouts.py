"""The report's layouts and the rules that shorten it: what each layout lists at most, and when a
layout is tried again shorter (:func:`hiprom.report.pdf.render_pdf` tries them in order)."""

from __future__ import annotations

from typing import Any

MAX_PAGES = 3
"""A report longer than this (the home program's sheets follow, laid out on their own) is laid out again, more compactly."""

# What each layout lists at most (everything is in the CSV and JSON exports): trials, earlier
# sessions in the history table, quality notes, characters of notes, and whether the angle-over-time
# chart is drawn. Tried in order until the report fits: the full layout (with the history chart), the
# compact one (the last visits' table only), the compact one without the angle-over-time chart, and,
# last, without the history table too. The trace goes before the table: its peaks, holds and which
# trials counted are in the Trials table above it, while the last visits' figures are nowhere else
# in a compact report, and a clinician following a patient needs them. (Drawn smaller the trace does
# not save enough: at 28 mm instead of 44 a 40-visit report still passes two US Letter pages.) Last,
# 3 trials and 2 readings listed and the side bars drawn 36 mm high instead of 45 (their labels keep their
# size): on US Letter a report with a re-test, the clinic's readings and long notes took a third page
# for its last 4 lines, "Method and references", then the home program a fourth. (Both measured with
# 8.6 pt text and two pages at most; the text has been 10 pt since, and the report up to three pages.)
LIMITS = (
    {"trials": 12, "history": 4, "quality_notes": 8, "invalid_trials": 6, "notes_chars": 700, "references": 6,
     "time_chart": True},
    {"trials": 6, "history": 3, "quality_notes": 3, "invalid_trials": 3, "notes_chars": 240, "references": 3,
     "time_chart": True},
    {"trials": 6, "history": 3, "quality_notes": 3, "invalid_trials": 3, "notes_chars": 240, "references": 3,
     "time_chart": False},
    {"trials": 6, "history": 0, "quality_notes": 3, "invalid_trials": 3, "notes_chars": 240, "references": 3,
     "time_chart": False},
    {"trials": 3, "history": 0, "quality_notes": 3, "invalid_trials": 3, "notes_chars": 240, "references": 2,
     "time_chart": False, "bars_mm": 36.0},
)
BARS_MM = 45.0
"""Height of the side-bars chart in the layouts of :data:`LIMITS` that set no ``bars_mm``."""
TIME_MM = 44.0
"""Height of the angle-over-time chart in the layouts that set no ``time_mm``."""
# A layout whose last page would be mostly empty (the report ending in its upper half) is tried again with
# these, one after the other, and the first that saves that page is taken: the same lists, the charts drawn
# lower (their words keep their size); then with the asymmetry box free to run on to the next page (kept
# whole, a box of 6 lines on US Letter was pushed whole to page 2 and the report spilled a few lines onto a
# third); then the norms' sources moved to the JSON export (a line says so); only then without the
# angle-over-time chart (a line says so; its series is in the JSON export, its peaks and holds in the Trials
# table), and last with the side bars 32 mm high. A typical A4 report's third page held only "Method and
# references" and the signature lines, 59 mm of 272. Everything a clinician reads from the page is kept
# before the trace goes: the demo subject's report, with its nine trials and two undecided differences,
# lost its trace on A4 and on Letter alike, with a name or without, for want of 18 mm; on A4 it keeps it
# now. On Letter with a clinician's note the trace's leaving still left the signature lines alone on a
# third page: the lower side bars save it.
SHORTER = (
    {"bars_mm": 38.0, "time_mm": 36.0},
    {"bars_mm": 36.0, "time_mm": 36.0, "box_may_split": True},
    {"bars_mm": 36.0, "time_mm": 36.0, "box_may_split": True, "sources": False},
    {"bars_mm": 36.0, "time_chart": False, "box_may_split": True, "sources": False},
    {"bars_mm": 32.0, "time_chart": False, "box_may_split": True, "sources": False},
)
MOSTLY_EMPTY = 0.5
"""A last page is mostly empty when the report ends above this fraction of its height."""


def layout_limits(compact: int, shorter: int = 0) -> dict[str, Any]:
    """What layout ``compact`` of :data:`LIMITS` lists and draws, made shorter by the ``shorter``-th step of
    :data:`SHORTER` (0: not); a chart height set by both is the lower."""
    base, lower = LIMITS[int(compact)], SHORTER[shorter - 1] if shorter else {}
    return {**base, **lower, **{k: min(base[k], lower[k]) for k in ("bars_mm", "time_mm") if k in base and k in lower}}


def mostly_empty(page: Any) -> bool:
    """Whether the report ends above :data:`MOSTLY_EMPTY` of the height of ``page`` (a WeasyPrint page,
    its last), told by where the template's ``end-of-report`` mark lies."""
    end = page.anchors.get("end-of-report")
    return end is not None and end[1] < MOSTLY_EMPTY * page.height
