"""The tables a person reads of one analysis, defined once for the PDF and the CLI.

The recording's line (frames, frame rate, length: :func:`recording_words`) and three tables, built
from :func:`hiprom.report.figures.summary` (figures rounded once):

- range of motion: one row per measure (:data:`MEASURE_LABELS`), each side (left
  then right) with its angle, ``±`` and ``% of ref.`` (:func:`measure_rows`);
- left-right asymmetry: the same rows with left minus right, its ``±``, the
  percentage of the larger side, the larger side and the verdict against the
  threshold in words (:func:`verdict_words`);
- trials: :data:`TRIAL_COLUMNS`, one row per trial in the order found, each
  cell's text from :func:`trial_cells`.

``hiprom analyze``, ``hiprom sessions show`` and the PDF report print these, so
the same session reads the same in each: the same headings, words, side order
and one-decimal figures (:func:`hiprom.report.figures.fmt`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hiprom.assessment.reasons import reason_words
from hiprom.assessment.wording import (
    DEG,
    MEASURE_LABELS,
    SIDE_WORDS,
    analysed_again_sentence,
    degrees,
    seconds_words,
    sent_in_sentence,
    since_first_legend,
    tested_where,
)
from hiprom.landmarks import SIDES
from hiprom.report.figures import DECIMALS, MEASURES, fmt, number, rnd
from hiprom.rounding import counted
from hiprom.rounding import percent as shown_percent

if TYPE_CHECKING:
    from hiprom.assessment.exercises import Catalogue

TRIAL_COLUMNS: dict[str, str] = {
    "#": "left", "Side": "left", "Direction": "left", "Peak": "right", "±": "right", "At (s)": "right",
    "From–to (s)": "right", "Hold (s)": "right", "Counted": "left", "Why not / flags": "left", "Method": "left",
}
"""The trials table's headings, in order, each with its alignment (figures to the right)."""

RETEST_COLUMNS: dict[str, str] = {
    "Measure": "left", "Before": "right", "After": "right", "Change": "right", "±": "right", "Needed": "right",
    "Verdict": "left",
}
"""The re-test table's headings, in order, each with its alignment (the PDF's and ``hiprom retest``'s)."""

HISTORY_FIGURES: dict[str, tuple[str, str]] = {
    "L IR": ("left", "internal_rotation"), "L ER": ("left", "external_rotation"), "L arc": ("left", "total_arc"),
    "R IR": ("right", "internal_rotation"), "R ER": ("right", "external_rotation"), "R arc": ("right", "total_arc"),
}
"""The history table's figures of each visit, in order, heading -> (side, measure): left then right, each side's
internal and external rotation and total arc (the PDF's and ``hiprom trend``'s)."""
HISTORY_DIFFERENCE = "L − R arc"
"""The history table's last figure: the total arc's left minus right, degrees (the PDF's and ``hiprom trend``'s)."""

RETEST_NOTE = ("A change counts only when it is larger than the minimal detectable change and than 1.96 × the ± "
               "of the two tests (\"Needed\").")
"""What "Needed" is, under the re-test table (PDF and ``hiprom retest``)."""


METHOD_WORDS = {"frontal": "frontal", "world": "3-D", "none": "—"}
"""How a trial was measured (``Trial.method``), as the report's method note names it: in the
picture seen from the front, or with the pose model's depth estimate (3-D)."""

AGAINST_THRESHOLD = {"exceeds": "⚑ exceeds", "inconclusive": "? cannot tell", "within": "within"}
"""A left/right verdict against the threshold, as the asymmetry table says it."""

UNCONFIRMED = "†"
"""The mark of a figure no valid trial confirms (every trial of its direction showed compensation)."""

UNCONFIRMED_NOTE = ("† Unconfirmed: no trial of this direction was valid; the figure is the best held trial, "
                    "which showed compensation or a poorly seen leg (see the notes). Repeat the trial to confirm it.")


def recording_words(analysis: dict[str, Any]) -> str:
    """The recording an analysis was made from, as the PDF's header, ``hiprom analyze`` and ``hiprom sessions
    show`` say it: ``410 frames at 30.0 fps, 13.7 s, mirrored`` (what is unknown is left out)."""
    frames, fps, length = analysis.get("frames"), number(analysis.get("fps")), number(analysis.get("duration_s"))
    rate = f"{fmt(fps)} fps" if fps else ""
    parts = [f"{counted(int(frames), 'frame')} at {rate}" if frames is not None and rate else
             counted(int(frames), "frame") if frames is not None else rate,
             seconds_words(length) if length else "", "mirrored" if analysis.get("mirrored") else ""]
    return ", ".join(p for p in parts if p) or "—"


def percent(value: Any, decimals: int = DECIMALS) -> str:
    """A percentage as the tables show it, rounded as every figure (:func:`~hiprom.report.figures.rnd`):
    ``75.8%`` (:func:`hiprom.rounding.percent`), or ``—``."""
    return shown_percent(rnd(value, decimals), decimals) or "—"


def confirmed(side: dict[str, Any], measure: str) -> bool:
    """Whether a side's figure comes from valid trials (the arc: both directions do)."""
    if measure == "total_arc":
        return all(side.get(f"{m}_confirmed", True) is not False for m in ("internal_rotation", "external_rotation"))
    return side.get(f"{measure}_confirmed", True) is not False


def measure_rows(fig: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per measure of ``fig`` (``figures.summary``): each side's figures (left, right) and the asymmetry.

    Each row: ``key``, ``label``, ``sides`` ({side: ``deg``, ``unc``, ``pct``, ``trials``, ``spread``,
    ``confirmed``}), ``band`` and ``norm`` (degrees), ``diff`` (left minus right, degrees), ``diff_unc``,
    ``diff_pct`` (% of the larger side), ``larger`` (side or None), ``verdict``, ``verdict_words``
    (:func:`verdict_words`),
    ``sentence`` (the patient's words), ``flagged`` and ``within_mdc`` (under the lower MDC:
    :func:`hiprom.assessment.summary.within_mdc`).
    """
    asym = fig["asymmetry"]
    bands = fig["bands"]
    rows = []
    for m in MEASURES:
        direction = m.split("_")[0]
        sides = {}
        for side in SIDES:
            s = fig["sides"][side]
            sides[side] = {
                "deg": s.get(f"{m}_deg"), "unc": s.get(f"{m}_unc_deg"), "pct": s.get(f"{m}_pct_norm"),
                "trials": s.get(f"{direction}_trials") if m != "total_arc" else None,
                "spread": s.get(f"{direction}_spread_deg") if m != "total_arc" else None,
                "confirmed": confirmed(s, m),
            }
        band = bands[m.removesuffix("_rotation")]
        diff = asym.get(f"{m}_deg")
        verdict = asym.get(f"{m}_verdict") if diff is not None else None
        rows.append({
            "key": m, "label": MEASURE_LABELS[m], "sides": sides, "band": band,
            "norm": fig["arc_norm_deg"] if m == "total_arc" else fig["norm_deg"],
            "diff": diff, "diff_pct": asym.get(f"{m}_pct"), "diff_unc": asym.get(f"{m}_unc_deg"),
            "larger": None if not diff else ("left" if diff > 0 else "right"),
            "verdict": verdict,
            "verdict_words": verdict_words(verdict),
            "sentence": asym.get(f"{m}_words"),  # the CSV's and the page's words
            "flagged": verdict == "exceeds",
            "within_mdc": asym.get(f"{m}_within_mdc") is True,
        })
    return rows


def verdict_words(verdict: str | None) -> str:
    """The asymmetry table's verdict cell: ``⚑ exceeds``, ``? cannot tell``, ``within``, or ``—`` when
    the sides were not compared (:data:`~hiprom.assessment.wording.WITHIN_MDC` follows it under the MDC)."""
    return "—" if verdict is None else AGAINST_THRESHOLD.get(verdict, verdict)


def larger_side(row: dict[str, Any]) -> str:
    """The asymmetry table's larger side: ``left``, ``right``, ``equal`` (no difference) or ``—`` (not compared)."""
    return row["larger"] or ("—" if row["diff"] is None else "equal")


def angle(cell: dict[str, Any]) -> str:
    """A side's figure in the range-of-motion table: ``34.1``, ``34.1†`` when unconfirmed, ``—``."""
    text = fmt(cell["deg"])
    return text + UNCONFIRMED if cell["deg"] is not None and not cell["confirmed"] else text


SIDE_MARKS = {"left": "L", "right": "R"}
"""The letter before each side's figure in the PDF's range-of-motion table ("L 32.8°"), as its history
table's headings name the sides ("L IR"): a row copied out of the PDF says which side each figure is of."""


def degrees_cell(value: Any, signed: bool = False) -> str:
    """A figure in a PDF table, with its unit, so it reads alone when the table is copied as text: ``32.8°``,
    ``−5.1°`` (``signed``: ``+6.3°``; :func:`hiprom.assessment.wording.degrees`, as the sentences write it), or ``—``."""
    value = rnd(value)
    return "—" if value is None else degrees(value, signed=signed)


BAND_HEADING = "Normal band"
"""The range-of-motion table's column of each measure's normal band (the PDF's and the terminal's)."""


def band_cell(band: Any) -> str:
    """A ``Normal band`` cell, low to high end in whole degrees: ``30–40°``, ``70–100°`` (the PDF's range-of-motion
    table and the terminal's)."""
    return f"{fmt(band[0], 0)}–{fmt(band[1], 0)}{DEG}"


def plus_minus_cell(value: Any) -> str:
    """A ``±`` column's cell, the sign with the figure (copied as text, ``1.8`` alone said nothing): ``± 1.8°``, or ``—``."""
    text = degrees_cell(value)
    return "—" if text == "—" else f"± {text}"


def share_cell(pct: Any, of_deg: Any) -> str:
    """A ``% of ref.`` cell, with what it is a share of: ``73.0% of 45°``, or ``—``."""
    text = percent(pct)
    return "—" if text == "—" else f"{text} of {fmt(of_deg, 0)}{DEG}"


def trials_cell(n: Any) -> str:
    """A ``Trials`` cell: ``2 trials``, ``1 trial``, or ``—`` (none counted, or the arc, which has no trials)."""
    return counted(int(n), "trial") if n is not None else "—"


def trial_cells(trial: dict[str, Any], number: int) -> dict[str, str]:
    """The text of each :data:`TRIAL_COLUMNS` cell of a (rounded) trial, ``number`` counting from 1.

    "Why not / flags" is why a trial did not count, or the flags seen during a counted one, in words
    (:func:`hiprom.assessment.reasons.reason_words`).
    """
    valid = bool(trial.get("valid"))
    why = (trial.get("reasons") if not valid and trial.get("reasons") else trial.get("flags")) or []
    method = trial.get("method")
    return {
        "#": str(number),
        "Side": str(trial.get("side") or "—"),
        "Direction": str(trial.get("direction") or "—"),
        "Peak": fmt(trial.get("peak_deg")),
        "±": fmt(trial.get("peak_unc_deg")),
        "At (s)": fmt(trial.get("peak_t_s")),
        "From–to (s)": f"{fmt(trial.get('start_s'))}–{fmt(trial.get('end_s'))}",
        "Hold (s)": fmt(trial.get("hold_s")),
        "Counted": "yes" if valid else "no",
        "Why not / flags": reason_words(map(str, why)),
        "Method": METHOD_WORDS.get(str(method), str(method)) if method else "—",
    }


def exercise_names(catalogue: Catalogue | None, visits: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each exercise's name by its id: the catalogue's (``None``: a clinic's file that cannot be read), then a clinic's
    own carried by a visit's kept program (stored visits, ``Store.visits``), which this computer's catalogue may
    lack."""
    names = {ex.id: ex.name for ex in catalogue.exercises} if catalogue is not None else {}
    for visit in visits:
        for carried in (visit.get("program") or {}).get("exercises") or ():
            if isinstance(carried, Mapping) and "id" in carried and "name" in carried:
                names.setdefault(str(carried["id"]), str(carried["name"]))
    return names


def visit_exercises(visit: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """A visit of a trend (``hiprom.assessment.trend``'s) in one line: the program handed over and the exercises
    counted with it, each exercise and leg once with its reps summed: "program: 2 exercises; reps done: Chair
    rotation, foot outward, left leg: 8 of 20"; done more than once (a patient's daily exercises at home, kept with
    the program of the visit), how often and on how many days: "...: 62 of 64 (8 times on 4 days)". "" for
    neither."""
    from hiprom.assessment.program import done_by_exercise
    from hiprom.store.records import local_day

    done = visit["exercises_done"]
    days = [local_day(d["recorded_utc"]) if d.get("recorded_utc") else None for d in done]
    parts = []
    for row in done_by_exercise(done, days):
        text = (f"{names.get(row['exercise'], row['exercise'])}, {SIDE_WORDS.get(row['side'], row['side'])}: "
                f"{row['reps_done']} of {row['reps_target']}" + (" with the timer" if row["timed"] else ""))
        if row["times"] > 1:
            text += f" ({row['times']} times" + (f" on {counted(row['days'], 'day')})" if row["days"] > 1 else ")")
        parts.append(text)
    said = ([f"program: {counted(len(visit['program']), 'exercise')}"] if visit["program"] else []) + (
        ["reps done: " + "; ".join(parts)] if parts else [])
    return "; ".join(said)


def history_words(trend: dict[str, Any], mdc_source: str, names: Mapping[str, str]) -> dict[str, Any]:
    """What a table of a subject's visits (``hiprom.assessment.trend``'s) says besides its figures, for
    ``hiprom trend`` and the page alike: the figures' ``headings`` and the (side, measure) of each but the last
    (``figures``; the last is the total arc's left minus right), each visit's ``day`` on the clinic's clock
    (by session number, as text), where each was ``tested`` (``None`` when all were here), each visit's program
    and exercises ``done`` (:func:`visit_exercises`, by session number, only visits that have some; ``names``:
    :func:`exercise_names`) and the ``notes`` under it in order (the files sent in, a recording analysed again,
    what ↑ and ↓ mean). The program and exercises go under the table, not in it: beside its nine figures they
    wrapped every 11 letters in a 100-column terminal."""
    from hiprom.store.records import shown_time

    visits = trend["visits"]
    sent_in = any(v["origin"] is not None for v in visits)
    notes = [sent_in_sentence({v["session_id"]: v["origin"] for v in visits})]
    notes += [analysed_again_sentence(v["session_id"], v["same_recording_as"])
              for v in visits if v["same_recording_as"] is not None]
    if len(visits) > 1 and trend["first_visit"] is not None:
        notes.append(since_first_legend(trend["first_visit"], mdc_source))
    return {"headings": [*HISTORY_FIGURES, HISTORY_DIFFERENCE], "figures": [list(f) for f in HISTORY_FIGURES.values()],
            "day": {str(v["session_id"]): shown_time(v["recorded_utc"], with_time=False) for v in visits},
            "tested": {str(v["session_id"]): tested_where(v["origin"]) for v in visits} if sent_in else None,
            "done": {str(v["session_id"]): line for v in visits if (line := visit_exercises(v, names))},
            "notes": [note for note in notes if note]}
