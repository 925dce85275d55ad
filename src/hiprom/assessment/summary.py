"""Per-side figures (best IR and ER, total arc) and left-right asymmetry.

Figure of a side and direction = the best (largest) valid held peak. When a
direction has no valid trial, the best trial that was truly held (invalid only
for compensation or visibility flags) gives the figure with
``<direction>_rotation_confirmed = false`` and the reasons; a trial that was too
short or too small never does. Its uncertainty combines the peak's own uncertainty with the trial-to-trial
scatter when there are repeats::

    u = sqrt(u_peak^2 + s^2),  s = sample standard deviation of the valid peaks

The total arc is IR + ER with ``u_arc = sqrt(u_IR^2 + u_ER^2)`` (the two are
measured at different times, so their errors are taken as independent).
Percent of norm: ``100 * figure / norm_deg`` (per direction) and
``100 * arc / (2 * norm_deg)``.

Asymmetry is ``left - right`` in degrees and ``|left - right| / max(left, right)``
in percent. Each difference gets a three-way verdict from its 95 % interval
``d +- 1.96 u`` (``u = sqrt(u_left^2 + u_right^2)``) against the threshold ``T``:
``exceeds`` when the whole interval lies beyond ``T`` (or beyond ``-T``),
``within`` when it lies inside ``(-T, T)``, ``inconclusive`` when it straddles
``T`` or ``-T``. Only ``exceeds`` is flagged. Each figure is likewise placed
against its reference band (``band_verdict``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hiprom.assessment.norms import Norms
from hiprom.assessment.trials import BELOW_MIN_EXCURSION, HOLD_TOO_SHORT, Trial
from hiprom.landmarks import SIDES
from hiprom.rounding import rounded

NOT_HELD = {HOLD_TOO_SHORT, BELOW_MIN_EXCURSION}
"""Trial reasons that mean no held peak was reached: such a trial never gives a figure."""

MEASURES: tuple[str, str, str] = ("internal_rotation", "external_rotation", "total_arc")
"""Names of the three figures of a side, as used in result field names."""

Z95 = 1.96
"""Half-width of a two-sided 95 % interval in standard uncertainties (normal errors)."""

VERDICTS: tuple[str, str, str] = ("within", "exceeds", "inconclusive")
"""Left/right verdicts of one measure, see :func:`difference_verdict`."""
BANDS: tuple[str, str, str, str] = ("below", "within", "above", "inconclusive")
"""Verdicts of one figure against its reference band, see :func:`band_verdict`."""


def difference_verdict(diff: float, unc: float, threshold: float) -> str:
    """``exceeds``, ``within`` or ``inconclusive`` for a difference ``diff`` +- ``unc`` (1 SD) and ``threshold``.

    The 95 % interval ``diff +- 1.96 unc`` decides: wholly beyond the threshold
    on one side = ``exceeds``, wholly inside ``(-threshold, threshold)`` = ``within``,
    otherwise ``inconclusive`` (the data cannot tell; repeat the test).
    """
    lo, hi = diff - Z95 * unc, diff + Z95 * unc
    if lo > threshold or hi < -threshold:
        return "exceeds"
    if lo >= -threshold and hi <= threshold:
        return "within"
    return "inconclusive"


def overall_verdict(verdicts: dict[str, str | None]) -> str | None:
    """The left/right verdict of a whole test from its measures' (``asymmetry.verdicts``).

    ``exceeds`` when any measure exceeds the threshold, else ``inconclusive``
    when any cannot tell, else ``within`` when any was compared; ``None`` when
    no measure could be compared (a side missing). Lists of sessions show it.
    """
    found = {verdicts.get(m) for m in MEASURES}
    return next((v for v in ("exceeds", "inconclusive", "within") if v in found), None)


def asymmetry_verdicts(asymmetry: Mapping[str, Any]) -> dict[str, str | None]:
    """``within`` / ``exceeds`` / ``inconclusive`` (or None: not assessable) per measure.

    Reads ``asymmetry.verdicts`` when present; a block without them (before
    three-way verdicts existed) is read from ``flagged_measures``, as hiprom 0.1 judged it.
    Readers of a result pass :func:`judged_asymmetry`, whose verdicts are today's.
    """
    verdicts = asymmetry.get("verdicts")
    if isinstance(verdicts, Mapping):
        return {m: verdicts.get(m) for m in MEASURES}
    flagged = set(asymmetry.get("flagged_measures") or [])
    return {
        m: ("exceeds" if m in flagged else "within") if asymmetry.get(f"{m}_deg") is not None else None
        for m in MEASURES
    }


def judged_asymmetry(result: Mapping[str, Any]) -> dict[str, Any]:
    """The asymmetry block of ``result`` with today's verdicts: the one place every reader of a result
    (tables, sentences, overall answer, exports, exercise suggestions, store lists) takes it from.

    A result saved before three-way verdicts existed (hiprom 0.1) was judged by its flags on the
    threshold alone: it reads "within" for -6.1 +- 2.5 deg. Its verdicts are worked out again from
    its stored differences and the sides' +- (``u = sqrt(u_left^2 + u_right^2)``, deg) by
    :func:`difference_verdict`, its flags with them; ``saved_verdicts`` keeps what it said, for the
    note that says so (:func:`rejudged`). The stored result itself is never changed.
    """
    asym = dict(result.get("asymmetry") or {})
    if isinstance(asym.get("verdicts"), Mapping):
        return asym
    sides = result.get("sides") or {}
    threshold = float(asym.get("threshold_deg") or Norms().asymmetry_threshold_deg)
    verdicts: dict[str, str | None] = {}
    for measure in MEASURES:
        diff = asym.get(f"{measure}_deg")
        uncs = [(sides.get(side) or {}).get(f"{measure}_unc_deg") or 0.0 for side in SIDES]
        if diff is None:
            verdicts[measure] = None
            continue
        unc = math.hypot(*uncs)
        asym.setdefault(f"{measure}_unc_deg", rounded(unc))
        verdicts[measure] = difference_verdict(float(diff), unc, threshold)
    asym["saved_verdicts"] = asymmetry_verdicts(asym)
    asym["verdicts"] = verdicts
    asym["flagged_measures"] = [m for m in MEASURES if verdicts[m] == "exceeds"]
    asym["flagged"] = bool(asym["flagged_measures"])
    return asym


def mdc_low(result: Mapping[str, Any]) -> float:
    """The minimal detectable change a left/right difference of ``result`` is judged against, degrees: the low end
    of its norms' ``mdc_deg`` (a clinic's norms file may change it), 6 deg by default, as shown (0.1 deg)."""
    mdc = (result.get("norms") or {}).get("mdc_deg") or Norms().mdc_deg
    return rounded(float(mdc[0])) or 0.0


def within_mdc(result: Mapping[str, Any]) -> dict[str, bool | None]:
    """Per measure, whether the left/right difference of ``result`` is under :func:`mdc_low`: a difference a
    repeat measurement could not tell from measurement error. Compared as shown (0.1 deg), so a table's "6.0"
    is never called under 6; ``None`` when the sides were not compared. The PDF, the CLI, the CSVs and the
    page all take it from here."""
    asym = result.get("asymmetry") or {}
    low = mdc_low(result)
    out: dict[str, bool | None] = {}
    for measure in MEASURES:
        diff = rounded(asym.get(f"{measure}_deg"))
        out[measure] = None if diff is None else abs(diff) < low
    return out


def rejudged(result: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Per measure whose verdict :func:`judged_asymmetry` worked out again differently from what the
    result said when saved: ``(saved, today's)``; empty for a result judged by today's rule."""
    asym = judged_asymmetry(result)
    saved = asym.get("saved_verdicts") or {}
    return {m: (saved[m], asym["verdicts"][m]) for m in MEASURES
            if saved.get(m) is not None and saved[m] != asym["verdicts"][m]}


def band_verdict(value: float, unc: float, band: tuple[float, float]) -> str:
    """Where a figure ``value`` +- ``unc`` (1 SD) lies against its reference ``band`` (low, high).

    ``below`` when the 95 % interval is wholly under the band's low end (a
    restriction beyond doubt), ``above`` when wholly over its high end,
    ``inconclusive`` when the interval straddles the low end, ``within`` otherwise.
    """
    lo, hi = value - Z95 * unc, value + Z95 * unc
    if hi < band[0]:
        return "below"
    if lo > band[1]:
        return "above"
    if lo < band[0]:
        return "inconclusive"
    return "within"


def _why_missing(side: str, direction: str, trials: Sequence[Trial]) -> str:
    """Why a side has no figure for ``direction``: no trial, or only invalid ones."""
    if not trials:
        return f"no {direction} rotation trial found for the {side} side"
    reasons: dict[str, int] = {}
    for tr in trials:
        for reason in tr.reasons or ("invalid",):
            reasons[reason] = reasons.get(reason, 0) + 1
    listed = ", ".join(f"{name} x{count}" if count > 1 else name for name, count in reasons.items())
    return f"no valid {direction} rotation trial for the {side} side ({len(trials)} invalid: {listed})"


def empty_side(reason: str) -> dict[str, Any]:
    """The fields of a side that cannot be measured at all, every figure null."""
    out: dict[str, Any] = {}
    for direction in ("internal", "external"):
        out.update(
            {
                f"{direction}_rotation_deg": None,
                f"{direction}_rotation_unc_deg": None,
                f"{direction}_rotation_pct_norm": None,
                f"{direction}_rotation_band": None,
                f"{direction}_rotation_reason": reason,
                f"{direction}_rotation_confirmed": False,
                f"{direction}_trials": 0,
                f"{direction}_invalid_trials": 0,
                f"{direction}_spread_deg": None,
                f"{direction}_peak_t_s": None,
            }
        )
    out.update(
        {"total_arc_deg": None, "total_arc_unc_deg": None, "total_arc_pct_norm": None, "total_arc_band": None,
         "total_arc_reason": reason}
    )
    out["not_measurable"] = reason
    return out


def _band(norms: Norms, direction: str) -> tuple[float, float]:
    return norms.internal_band_deg if direction == "internal" else norms.external_band_deg


def side_summary(side: str, trials: Sequence[Trial], norms: Norms) -> dict[str, Any]:
    """Best valid IR and ER, total arc, percent of norm, spread and uncertainty of one side.

    Args:
        side: "left" or "right".
        trials: every trial found (any side; only ``side``'s are used).
        norms: the norm values.

    Returns:
        The ``sides[side]`` block of ``hiprom.analysis/1``.
    """
    out: dict[str, Any] = {}
    figure: dict[str, tuple[float, float] | None] = {}
    for direction in ("internal", "external"):
        mine = [tr for tr in trials if tr.side == side and tr.direction == direction]
        valid = [tr for tr in mine if tr.valid]
        key = f"{direction}_rotation"
        # With no valid trial, the best trial that was truly held (only flagged
        # for compensation or visibility) still gives a figure, marked
        # unconfirmed with its reasons: better a number to question than none.
        held = [tr for tr in mine if not set(tr.reasons) & NOT_HELD]
        used = valid or held
        if not used:
            figure[direction] = None
            out.update(
                {
                    f"{key}_deg": None,
                    f"{key}_unc_deg": None,
                    f"{key}_pct_norm": None,
                    f"{key}_band": None,
                    f"{key}_reason": _why_missing(side, direction, mine),
                    f"{key}_confirmed": False,
                    f"{direction}_trials": 0,
                    f"{direction}_invalid_trials": len(mine),
                    f"{direction}_spread_deg": None,
                    f"{direction}_peak_t_s": None,
                }
            )
            continue
        best = max(used, key=lambda tr: tr.peak_deg)
        peaks = np.array([tr.peak_deg for tr in valid])
        spread = float(peaks.max() - peaks.min()) if peaks.size >= 2 else None
        scatter = float(np.std(peaks, ddof=1)) if peaks.size >= 2 else 0.0
        unc = math.hypot(best.peak_unc_deg, scatter) if math.isfinite(best.peak_unc_deg) else scatter
        figure[direction] = (best.peak_deg, unc)
        out.update(
            {
                f"{key}_deg": rounded(best.peak_deg),
                f"{key}_unc_deg": rounded(unc),
                f"{key}_pct_norm": rounded(100.0 * best.peak_deg / norms.norm_deg),
                f"{key}_band": band_verdict(best.peak_deg, unc, _band(norms, direction)),
                f"{key}_reason": None if valid else "unconfirmed: " + _why_missing(side, direction, mine),
                f"{key}_confirmed": bool(valid),
                f"{direction}_trials": len(valid),
                f"{direction}_invalid_trials": len(mine) - len(valid),
                f"{direction}_spread_deg": rounded(spread),
                f"{direction}_peak_t_s": rounded(best.peak_t_s, 3),
            }
        )
    ir, er = figure["internal"], figure["external"]
    if ir is not None and er is not None:
        arc, arc_unc = ir[0] + er[0], math.hypot(ir[1], er[1])
        out.update(
            {
                "total_arc_deg": rounded(arc),
                "total_arc_unc_deg": rounded(arc_unc),
                "total_arc_pct_norm": rounded(100.0 * arc / norms.arc_norm_deg),
                "total_arc_band": band_verdict(arc, arc_unc, norms.arc_band_deg),
                "total_arc_reason": None,
            }
        )
    else:
        missing = " and ".join(d for d in ("internal", "external") if figure[d] is None)
        out.update(
            {
                "total_arc_deg": None,
                "total_arc_unc_deg": None,
                "total_arc_pct_norm": None,
                "total_arc_band": None,
                "total_arc_reason": f"needs both directions; {missing} rotation not measured",
            }
        )
    out["not_measurable"] = None
    return out


def asymmetry(sides: dict[str, dict[str, Any]], norms: Norms) -> dict[str, Any]:
    """Left-right differences of IR, ER and total arc, with three-way verdicts.

    ``<measure>_deg = left - right``; ``<measure>_pct = |left - right| / max(left, right) * 100``;
    ``<measure>_unc_deg = sqrt(u_left^2 + u_right^2)``; ``verdicts[measure]`` from
    :func:`difference_verdict` (None when a side's figure is missing). A measure
    is flagged only when its verdict is ``exceeds``; ``flagged`` is true when any is.
    """
    out: dict[str, Any] = {}
    flagged: list[str] = []
    verdicts: dict[str, str | None] = {}
    left, right = (sides[s] for s in SIDES)
    for measure in MEASURES:
        lv, rv = left.get(f"{measure}_deg"), right.get(f"{measure}_deg")
        if lv is None or rv is None:
            out.update({f"{measure}_deg": None, f"{measure}_pct": None, f"{measure}_unc_deg": None})
            verdicts[measure] = None
            continue
        diff = lv - rv
        larger = max(abs(lv), abs(rv))
        lu, ru = left.get(f"{measure}_unc_deg") or 0.0, right.get(f"{measure}_unc_deg") or 0.0
        out.update(
            {
                f"{measure}_deg": rounded(diff),
                f"{measure}_pct": rounded(100.0 * abs(diff) / larger) if larger > 0 else None,
                f"{measure}_unc_deg": rounded(math.hypot(lu, ru)),
            }
        )
        verdicts[measure] = difference_verdict(diff, math.hypot(lu, ru), norms.asymmetry_threshold_deg)
        if verdicts[measure] == "exceeds":
            flagged.append(measure)
    out["threshold_deg"] = norms.asymmetry_threshold_deg
    out["verdicts"] = verdicts
    out["flagged"] = bool(flagged)
    out["flagged_measures"] = flagged
    return out
