"""The re-test: before/after change of each figure, and the subject's trend across visits.

For each side and measure (internal rotation, external rotation, total arc)::

    change = after - before
    u      = sqrt(u_before^2 + u_after^2)        (the two figures' own standard uncertainties)
    limit  = max(MDC, 1.96 * u)

and the verdict is ``improved`` when ``change > limit``, ``decreased`` when
``change < -limit``, else ``no detectable change``. A change must therefore
exceed both the minimal detectable change of the method and the 95 % interval
of this pair's own measurement error.

MDC of each side and direction: given by the caller, keyed ``left_internal``
... (the clinic's own once it has re-tested enough subjects, as
``hiprom.validation.mdc_in_force`` says), else the low end of the norms'
``mdc_deg`` (6 deg, Gradoz et al. 2018, seated IR/ER goniometry; the same
figure ``mdc_in_force`` uses while the published MDC is in force). The total
arc is the sum of two figures: its MDC is ``sqrt(MDC_IR^2 + MDC_ER^2)``. The
result says which MDC was used.

A re-test is a second test, the person seated again: the same recording
analysed twice (again later, or by a newer hiprom whose figures differ by a
fraction of a degree) is one measurement (:func:`same_recording`), never
a re-test or a visit of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hiprom.assessment.norms import Norms
from hiprom.assessment.summary import MEASURES
from hiprom.assessment.trials import DIRECTIONS
from hiprom.assessment.wording import degrees
from hiprom.landmarks import SIDES
from hiprom.rounding import rounded

RETEST_SCHEMA = "hiprom.retest/1"
IMPROVED, NO_CHANGE, DECREASED = "improved", "no detectable change", "decreased"
VERDICTS: tuple[str, str, str] = (IMPROVED, NO_CHANGE, DECREASED)
Z95 = 1.96
"""Two-sided 95 % coverage factor of a normal error."""


def same_recording(fingerprint: str | None, other: str | None) -> bool:
    """Whether two analyses were made from one recording: their ``recording_sha256`` agree (an analysis
    without one, made by an older hiprom, is told apart from every other)."""
    return fingerprint is not None and fingerprint == other


def first_analysed_as(fingerprints: Sequence[str | None]) -> list[int | None]:
    """For each analysis (oldest first, by its ``recording_sha256``), the position of the earliest one of
    the same recording, ``None`` for the first analysis of its recording (:func:`same_recording`)."""
    first: dict[str, int] = {}
    out: list[int | None] = []
    for i, fingerprint in enumerate(fingerprints):
        earlier = first.get(fingerprint) if fingerprint is not None else None
        out.append(earlier)
        if fingerprint is not None and earlier is None:
            first[fingerprint] = i
    return out


def default_mdc(norms: Mapping[str, Any] | None = None) -> tuple[dict[str, float], str]:
    """Per side and direction MDC from a result's ``norms`` block (its low ``mdc_deg``), and where it came from."""
    pair = (norms or {}).get("mdc_deg") or list(Norms().mdc_deg)
    low = float(min(pair))
    mdc = {f"{side}_{d}": low for side in SIDES for d in DIRECTIONS}
    return mdc, f"published minimal detectable change of seated goniometry, {pair[0]:g}–{pair[1]:g}° (norms)"


def _mdc(mdc: Mapping[str, float], side: str, measure: str) -> float:
    """The MDC of one side's measure; the arc's combines those of its two directions."""
    if measure == "total_arc":
        return math.hypot(mdc[f"{side}_internal"], mdc[f"{side}_external"])
    return mdc[f"{side}_{measure.split('_')[0]}"]


def change_verdict(change_deg: float, change_unc_deg: float, mdc_deg: float) -> tuple[str, float]:
    """The verdict of one change and the limit it was judged against (``max(MDC, 1.96 u)``)."""
    limit = max(mdc_deg, Z95 * change_unc_deg)
    if change_deg > limit:
        return IMPROVED, limit
    if change_deg < -limit:
        return DECREASED, limit
    return NO_CHANGE, limit


def compare(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    mdc_deg: Mapping[str, float] | None = None,
    mdc_source: str | None = None,
) -> dict[str, Any]:
    """Before/after table of two results (``hiprom.analysis/1``): change and verdict per figure.

    Args:
        before, after: the two analyses (e.g. the test and the re-test after the exercises).
        mdc_deg: MDC per side and direction (``left_internal``, ``left_external``,
            ``right_internal``, ``right_external``; any subset); the rest from
            ``after``'s norms (:func:`default_mdc`).
        mdc_source: words saying where ``mdc_deg`` came from.

    Returns:
        ``{"schema", "mdc_deg", "mdc_source", "rows": [{"side", "measure", "before_deg",
        "after_deg", "change_deg", "change_unc_deg", "mdc_deg", "limit_deg", "verdict", "reason"}],
        "summary"}``; a row with a figure missing has ``verdict: null`` and a ``reason``.
    """
    default, source = default_mdc(after.get("norms"))
    mdc = {**default, **{k: float(v) for k, v in (mdc_deg or {}).items() if k in default}}
    if mdc_deg:
        source = mdc_source or "given"
    rows: list[dict[str, Any]] = []
    for side in SIDES:
        b_side, a_side = before["sides"][side], after["sides"][side]
        for measure in MEASURES:
            b, a = b_side.get(f"{measure}_deg"), a_side.get(f"{measure}_deg")
            row: dict[str, Any] = {"side": side, "measure": measure, "before_deg": b, "after_deg": a,
                                   "change_deg": None, "change_unc_deg": None,
                                   "mdc_deg": rounded(_mdc(mdc, side, measure)), "limit_deg": None,
                                   "verdict": None, "reason": None}
            if b is None or a is None:
                row["reason"] = "not measured " + ("before" if b is None else "after")
                if b is None and a is None:
                    row["reason"] = "not measured either time"
            else:
                u = math.hypot(b_side.get(f"{measure}_unc_deg") or 0.0, a_side.get(f"{measure}_unc_deg") or 0.0)
                verdict, limit = change_verdict(a - b, u, _mdc(mdc, side, measure))
                row.update({"change_deg": rounded(a - b), "change_unc_deg": rounded(u), "limit_deg": rounded(limit),
                            "verdict": verdict})
            rows.append(row)
    return {
        "schema": RETEST_SCHEMA,
        "mdc_deg": mdc,
        "mdc_source": source,
        "rows": rows,
        "summary": summary_sentence(rows),
    }


def retest_heading(exercised_between: bool) -> str:
    """What a before/after table is, in the words of the PDF and the page.

    "After the exercises" only when exercises were counted with the earlier
    test: a repeat because the first test could not tell is no test after exercises.
    """
    return "before and after the exercises" if exercised_between else "compared with the earlier test"


def compared(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether any figure was measured both times. Without one, a before/after table is rows of "not
    measured before": the page, the PDF and the CLI say :func:`summary_sentence` alone."""
    return any(r["verdict"] for r in rows)


def summary_sentence(rows: Sequence[Mapping[str, Any]]) -> str:
    """One plain sentence: which figures improved or decreased beyond the measurement error.

    Every row the table marks is named, the total arc too: its MDC is not its
    parts', so it can change beyond the error while neither direction does.
    """
    def named(verdict: str) -> list[str]:
        return [f"{r['side']} {r['measure'].replace('_', ' ')} ({degrees(r['change_deg'], signed=True)})"
                for r in rows if r["verdict"] == verdict]

    up, down = named(IMPROVED), named(DECREASED)
    if not compared(rows):
        before = any(r["before_deg"] is not None for r in rows)
        after = any(r["after_deg"] is not None for r in rows)
        if not before:
            return ("Nothing to compare with: the earlier test measured nothing." if after else
                    "Nothing to compare: neither test measured anything.")
        return "Nothing to compare: this test measured nothing." if not after else \
            "No figure was measured both times; nothing to compare."
    parts = []
    if up:
        parts.append("improved: " + ", ".join(up))
    if down:
        parts.append("decreased: " + ", ".join(down))
    if not parts:
        return "No change larger than the measurement error."
    text = "; ".join(parts) + ". Other changes are within the measurement error."
    return text[0].upper() + text[1:]


def trend(visits: Sequence[Mapping[str, Any]], mdc_deg: Mapping[str, float] | None = None,
          mdc_source: str | None = None) -> dict[str, Any]:
    """A subject's figures across visits, with the program followed and each change from the first visit.

    The first visit is the first whose test measured a figure: a test that
    measured nothing (the leg out of the picture, repeated the same day) is
    no baseline, and comparing with it would leave every later change unmarked.
    A session analysing again an earlier visit's recording (:func:`same_recording`)
    is no visit: it says ``same_recording_as`` that visit and is judged neither as
    nor against a first visit.

    Args:
        visits: oldest first, each ``{"session_id", "recorded_utc", "analysis",
            "program" (dict or None), "exercise_results" (list)}``, and ``"origin"``: the
            export file the session was imported from (a self-test at home), ``None`` or
            absent for a test done here.
        mdc_deg, mdc_source: as in :func:`compare`.

    Returns:
        ``{"first_visit": session_id or None, "visits": [{"session_id", "recorded_utc", "origin",
        "figures": {side: {measure: deg}}, "asymmetry": {measure: left minus right, deg},
        "program": [{"exercise", "side", "dose"}],
        "exercises_done": [{"exercise", "side", "direction", "reps_done", "reps_target", "recorded_utc",
        "timed"}],
        "since_first": {side: {measure: verdict}} (``None`` up to the first visit),
        "same_recording_as": session_id of the visit whose recording this session analysed again, or None}]}``.
    """
    out: list[dict[str, Any]] = []
    repeats = first_analysed_as([v["analysis"].get("recording_sha256") for v in visits])
    first = next((v for v, r in zip(visits, repeats) if r is None and _measured(v["analysis"])), None)
    after_first = False
    for visit, repeat in zip(visits, repeats):
        analysis = visit["analysis"]
        figures = {side: {m: analysis["sides"][side].get(f"{m}_deg") for m in MEASURES} for side in SIDES}
        asymmetry = {m: (analysis.get("asymmetry") or {}).get(f"{m}_deg") for m in MEASURES}
        since: dict[str, dict[str, str | None]] | None = None
        if after_first and repeat is None:
            rows = compare(first["analysis"], analysis, mdc_deg, mdc_source)["rows"]  # type: ignore[index]
            since = {side: {r["measure"]: r["verdict"] for r in rows if r["side"] == side} for side in SIDES}
        program = visit.get("program") or {}
        out.append({
            "session_id": visit.get("session_id"),
            "recorded_utc": visit.get("recorded_utc"),
            "origin": visit.get("origin"),
            "figures": figures,
            "asymmetry": asymmetry,
            "program": [{"exercise": it["exercise"], "side": it["side"], "dose": it["dose"]}
                        for it in program.get("items", [])],
            "exercises_done": [
                {k: r.get(k) for k in ("exercise", "side", "direction", "reps_done", "reps_target", "recorded_utc")}
                | {"timed": r.get("timed") is True}
                for r in visit.get("exercise_results") or []
            ],
            "since_first": since,
            "same_recording_as": None if repeat is None else visits[repeat].get("session_id"),
        })
        after_first = after_first or visit is first
    return {"first_visit": first.get("session_id") if first else None, "visits": out}


def _measured(analysis: Mapping[str, Any]) -> bool:
    """Whether a test measured at least one figure (of either side)."""
    return any(analysis["sides"][side].get(f"{m}_deg") is not None for side in SIDES for m in MEASURES)
