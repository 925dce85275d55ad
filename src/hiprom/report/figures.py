"""The figures of a report, rounded once, so the PDF, the CSV and the JSON agree.

Every angle and percentage a person reads (PDF text, the export's
``summary``, the CSV summary and trials) goes through :func:`rnd` with
:data:`DECIMALS` and is printed by :func:`fmt`; the per-frame series are
exported as stored.
"""

from __future__ import annotations

import math
from typing import Any

from hiprom.assessment import Norms
from hiprom.assessment.wording import explain
from hiprom.landmarks import SIDES
from hiprom.rounding import rounded as rounded_number

DECIMALS = 1
"""Decimals of every angle and percentage shown (0.1 deg is below any clinical resolution)."""

MEASURES: tuple[str, ...] = ("internal_rotation", "external_rotation", "total_arc")
"""Measures of each side, in report order (prefixes of the ``sides`` fields)."""

MEASURE_LABELS = {
    "internal_rotation": "Internal rotation",
    "external_rotation": "External rotation",
    "total_arc": "Total arc (IR + ER)",
}

# Fields of analysis["sides"][side] (docs/formats.md), in export column order.
SIDE_FIELDS: tuple[str, ...] = (
    "internal_rotation_deg", "internal_rotation_unc_deg", "internal_rotation_pct_norm",
    "internal_rotation_confirmed", "internal_trials", "internal_spread_deg", "internal_peak_t_s",
    "external_rotation_deg", "external_rotation_unc_deg", "external_rotation_pct_norm",
    "external_rotation_confirmed", "external_trials", "external_spread_deg", "external_peak_t_s",
    "total_arc_deg", "total_arc_unc_deg", "total_arc_pct_norm",
    "not_measurable",
)
ASYMMETRY_FIELDS: tuple[str, ...] = (
    "internal_rotation_deg", "external_rotation_deg", "total_arc_deg",
    "internal_rotation_pct", "external_rotation_pct", "total_arc_pct",
    "threshold_deg", "flagged", "flagged_measures",
    "internal_rotation_verdict", "external_rotation_verdict", "total_arc_verdict",
    "internal_rotation_words", "external_rotation_words", "total_arc_words",
)
TRIAL_FIELDS: tuple[str, ...] = (
    "side", "direction", "peak_deg", "peak_unc_deg", "peak_t_s", "start_s", "end_s", "hold_s",
    "valid", "flags", "reasons", "method",
)
def number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (null, NaN, text)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def rnd(value: Any, decimals: int = DECIMALS) -> float | None:
    """``value`` rounded for display and export (``hiprom.rounding``); ``None`` stays ``None``."""
    return rounded_number(number(value), decimals)


def fmt(value: Any, decimals: int = DECIMALS, missing: str = "—") -> str:
    """The text of a rounded figure (``32.1``), or ``missing`` when not measurable.

    Uses an ASCII hyphen-minus for negative values, so the PDF's text can be
    compared with the JSON by a program.
    """
    x = rnd(value, decimals)
    return missing if x is None else f"{x:.{decimals}f}"


def rounded(record: dict[str, Any], fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """``record`` with every float rounded by :func:`rnd`; ``fields`` first, then any others.

    Counts, flags and text are kept as they are; a listed field the record
    lacks is ``None``, so tables keep their columns.
    """
    keys = list(fields) + [k for k in record if k not in fields]
    return {k: _round_value(record.get(k)) for k in keys}


def _round_value(value: Any) -> Any:
    return rnd(value) if isinstance(value, float) else value


def summary(analysis: dict[str, Any]) -> dict[str, Any]:
    """The figures a report shows: norms, both sides, the asymmetry, trials (rounded)."""
    norms = analysis.get("norms") or {}
    words = explain(analysis)
    norm = number(analysis.get("norm_deg")) or number(norms.get("norm_deg")) or Norms().norm_deg
    bands = norms.get("bands") or {}
    return {
        "norm_deg": rnd(norm),
        "arc_norm_deg": rnd(number(norms.get("arc_norm_deg")) or 2 * norm),
        "asymmetry_threshold_deg": rnd(
            number((analysis.get("asymmetry") or {}).get("threshold_deg"))
            or number(norms.get("asymmetry_threshold_deg")) or 10.0
        ),
        "mdc_deg": [rnd(v) for v in (norms.get("mdc_deg") or [6.0, 9.0])],
        "bands": {
            "internal": [rnd(v) for v in (bands.get("internal") or [30.0, 40.0])],
            "external": [rnd(v) for v in (bands.get("external") or [40.0, 60.0])],
        },
        "measurable": bool(analysis.get("measurable", True)),
        "not_measurable_reason": analysis.get("not_measurable_reason"),
        "verdict": analysis.get("verdict"),
        "sides": {side: rounded(analysis["sides"].get(side) or {}, SIDE_FIELDS) for side in SIDES},
        "asymmetry": rounded(_flat_asymmetry(analysis, words["asymmetry"]), ASYMMETRY_FIELDS),
        "bands_words": words["bands"],
        "camera": {k: rnd(v, 2) for k, v in (analysis.get("camera") or {}).items()},
        "camera_position": words["camera_position"],
        "camera_advice": words["camera"],
        "trials": [rounded(t, TRIAL_FIELDS) for t in analysis.get("trials") or []],
    }


def _flat_asymmetry(analysis: dict[str, Any], sentences: dict[str, str]) -> dict[str, Any]:
    """The asymmetry block with its verdicts as flat ``<measure>_verdict`` / ``<measure>_words``
    fields (one CSV column each). An analysis saved before verdicts existed keeps None verdicts."""
    asym = dict(analysis.get("asymmetry") or {})
    verdicts = asym.pop("verdicts", None) or {}
    for measure, sentence in sentences.items():
        asym[f"{measure}_verdict"] = verdicts.get(measure)
        asym[f"{measure}_words"] = sentence if verdicts else None
    return asym
