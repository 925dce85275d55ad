"""What the PDF shows of the exercises: the home program page and the re-test table.

Plain values for the templates (``program.html``, the re-test section of
``report.html``), built from :class:`~hiprom.report.data.ReportData` and the
exercise catalogue; the wording of doses and verdicts is defined once here
and in :mod:`hiprom.assessment.exercises`.
"""

from __future__ import annotations

from typing import Any

from hiprom.assessment import Catalogue, current_program, load_catalogue
from hiprom.assessment.exercises import Dose, retest_advice
from hiprom.assessment.retest import compared, retest_heading
from hiprom.assessment.wording import SIDE_WORDS, degrees_in_words, side_measure
from hiprom.report.data import ReportData
from hiprom.rounding import counted
from hiprom.store import Store
from hiprom.store.records import local_day, shown_time


def clinic_mdc(store: Store) -> tuple[dict[str, float], str]:
    """The MDC in force at this clinic per side and direction, and the sentence saying which it is.

    The clinic's own MDC95 once it has re-tested enough subjects, else the
    published one (``hiprom.validation.mdc_in_force``): what every re-test
    verdict of a stored session is judged with.
    """
    from hiprom.store import MEASURES
    from hiprom.validation import mdc_in_force

    mdc = mdc_in_force(store)
    return {m: mdc.for_measure(m) for m in MEASURES}, mdc.text


def program_context(data: ReportData, catalogue: Catalogue | None = None) -> dict[str, Any] | None:
    """The home program page: each exercise with its side, dose in words, steps and cautions.

    ``None`` when the program is empty (nothing suggested, or the clinician removed everything).
    """
    catalogue = (catalogue or load_catalogue()).with_program(data.program)
    program = current_program(data.analysis, data.program, catalogue)
    known = {ex.id: ex for ex in catalogue.exercises}
    items = []
    for item in program["items"]:
        ex = known.get(item["exercise"])
        if ex is None:  # removed from the clinic's catalogue since the program was kept
            continue
        items.append({
            "id": ex.id,
            "name": ex.name,
            "side": SIDE_WORDS.get(item["side"], item["side"]),
            "position": ex.position,
            "dose": Dose(**item["dose"]).words(),
            "steps": list(ex.steps),
            "cautions": list(ex.cautions),
            "reason": degrees_in_words(item.get("reason") or "") or None,
            "notes": item.get("notes"),
            "camera": ex.camera_followed,
            "side_id": item["side"],
            "dose_spec": dict(item["dose"]),
        })
    if not items:
        return None
    # One reason for every exercise (the usual case): said once, above them.
    reasons = list(dict.fromkeys(item["reason"] for item in items if item["reason"]))
    shared = reasons if len(reasons) == 1 and all(item["reason"] for item in items) else []
    if shared:
        for item in items:
            item["reason"] = None
    return {"items": items, "notes": program.get("notes"), "edited": program["edited"],
            "safety": list(catalogue.safety), "why": shared[0] if shared else None,
            "retest": retest_advice(data.session_date)}


def retest_context(data: ReportData) -> dict[str, Any] | None:
    """The before/after table of a re-test: rows in side and measure order, with labels."""
    if not data.retest:
        return None
    rows = [{**row, "label": side_measure(row["side"], row["measure"])} for row in data.retest["rows"]]
    return {
        "rows": rows,
        "compared": compared(rows),
        "summary": data.retest.get("summary"),
        "mdc_source": data.retest.get("mdc_source"),
        "before_id": data.before.id if data.before else None,
        "before_time": shown_time(data.before.recorded_utc) if data.before else None,
        "title": f"Re-test: {retest_heading(data.exercised_between)}",
    }


def exercises_done(data: ReportData) -> list[dict[str, Any]]:
    """Counted exercises of the session (name, side, reps done of target, ``refused``, holds, ``timed``: done with
    the page's timer, not counted by the camera) and ``day``. Those of the visit's day, one line each with its
    holds (``day`` ""); those of other days on the clinic's clock (a patient's exercises at home, kept with the
    program handed over at this visit, which a visit's page never passes off as its own) summed per exercise and
    leg (``assessment.program.done_by_exercise``, as ``hiprom trend`` sums them), ``day`` saying when and how
    often: "2026-03-03 to 2026-04-01, 30 times on 30 days". Listed a line a day, a month of them made the
    report five pages; every one is in the JSON export."""
    from hiprom.assessment.program import done_by_exercise

    names = {ex.id: ex.name for ex in load_catalogue().with_program(data.program).exercises}
    visit = data.session_date
    days = [local_day(r["recorded_utc"]) if r.get("recorded_utc") else None for r in data.exercise_results]
    at_home = [d is not None and visit is not None and d != visit for d in days]
    home = [(r, d) for r, d, away in zip(data.exercise_results, days, at_home) if away]
    rows = [
        {"name": names.get(r["exercise"], r["exercise"]), "side": r["side"], "reps_done": r["reps_done"],
         "reps_target": r["reps_target"], "refused": r.get("reps_refused", 0),
         "holds": ", ".join(f"{h:.1f}" for h in r.get("holds_s") or []), "day": "", "timed": r.get("timed") is True}
        for r, away in zip(data.exercise_results, at_home) if not away
    ]
    return rows + [
        {"name": names.get(g["exercise"], g["exercise"]), "side": g["side"], "reps_done": g["reps_done"],
         "reps_target": g["reps_target"], "refused": g["reps_refused"], "holds": _hold_range(g), "day": _when(g),
         "timed": g["timed"]}
        for g in done_by_exercise([r for r, _ in home], [d for _, d in home])
    ]


def _hold_range(done: dict[str, Any]) -> str:
    """The holds of a summed exercise (``done_by_exercise``'s), seconds: "2.8–3.4", "3.0" when all alike, "" without;
    a summed line gave none, where each line of the visit's lists its own."""
    low, high = done["hold_min_s"], done["hold_max_s"]
    if low is None:
        return ""
    return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}–{high:.1f}"


def _when(done: dict[str, Any]) -> str:
    """The days a summed exercise (``done_by_exercise``'s) was done on: "2026-03-05", "2026-03-05, 2 times",
    "2026-03-03 to 2026-04-01, 30 times on 30 days"."""
    first, last = done["first_day"].isoformat(), done["last_day"].isoformat()
    span = first if first == last else f"{first} to {last}"
    if done["times"] == 1:
        return span
    return f"{span}, {done['times']} times" + (f" on {counted(done['days'], 'day')}" if done["days"] > 1 else "")
