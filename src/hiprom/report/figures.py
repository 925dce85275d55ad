"""The figures of a report, rounded once, so the PDF, the CSV and the JSON agree.

Every angle and percentage a person reads (PDF text, the export's
``summary``, the CSV summary and trials) goes through :func:`rnd` with
:data:`DECIMALS` and is printed by :func:`fmt`; the per-frame series are
exported as stored.
"""

from __future__ import annotations

from typing import Any

from hiprom.assessment import Norms
from hiprom.assessment.summary import asymmetry_verdicts, judged_asymmetry, mdc_low, within_mdc
from hiprom.assessment.wording import explain, undecided_asymmetry
from hiprom.landmarks import SIDES
from hiprom.rounding import number
from hiprom.rounding import rounded as rounded_number
from hiprom.rounding import shown

DECIMALS = 1
"""Decimals of every angle and percentage shown (0.1 deg is below any clinical resolution)."""

MEASURES: tuple[str, ...] = ("internal_rotation", "external_rotation", "total_arc")
"""Measures of each side, in report order (prefixes of the ``sides`` fields)."""


# Fields of analysis["sides"][side] (docs/formats.md), in export column order: each measure's
# figure, its ±, % of the reference, band verdict, then how it was found.
SIDE_FIELDS: tuple[str, ...] = tuple(
    f"{d}_{k}" for d in ("internal", "external") for k in (
        "rotation_deg", "rotation_unc_deg", "rotation_pct_norm", "rotation_band", "rotation_confirmed",
        "trials", "invalid_trials", "spread_deg", "peak_t_s", "rotation_reason")
) + ("total_arc_deg", "total_arc_unc_deg", "total_arc_pct_norm", "total_arc_band", "total_arc_reason", "not_measurable")
# Fields of the flat asymmetry (analysis["asymmetry"] with its verdicts as columns), left minus right:
# each measure's difference, its ±, % of the larger side, verdict, whether it is under the MDC, sentence;
# then the threshold and the MDC they were judged against.
ASYMMETRY_FIELDS: tuple[str, ...] = tuple(
    f"{m}_{k}" for m in MEASURES for k in ("deg", "unc_deg", "pct", "verdict", "within_mdc", "words")
) + ("threshold_deg", "mdc_deg", "flagged", "flagged_measures")
BAND_FIELDS: tuple[str, ...] = tuple(f"{m}_band_{end}_deg" for m in MEASURES for end in ("low", "high"))
"""The normal bands the ``_band`` columns judged each figure against, degrees, low then high end of each
measure (the total arc's is the sum of the other two): a clinic's norms file may change them, and a summary
read alone must say which bands its ``below``/``within``/``above`` mean."""
CAMERA_FIELDS: tuple[str, ...] = ("camera_yaw_deg", "camera_height_m", "camera_distance_m", "camera_advice")
"""Where the camera stood (the analysis's ``camera``: yaw in degrees, + = toward the subject's right side;
height above the floor and distance from the knees in metres, 0.01 m; empty when unknown) and what to move,
the sentences the PDF prints after it (empty when the camera stood where accuracy was checked): a study
keeps or sets apart the recordings made from outside that range by these columns."""
ANALYSIS_FIELDS: tuple[str, ...] = ("recording_sha256", "hiprom_version", "model", "model_sha256", "fps", "frames",
                                    "duration_s", "mirrored", *CAMERA_FIELDS, "measurable", "not_measurable_reason",
                                    "norm_deg", *BAND_FIELDS)
"""What the summary row of a table says of the analysis itself, before the figures: first the recording's
fingerprint (empty for an older hiprom's analysis), on which a batch's rows and stored sessions join and by
which two analyses of one recording are told from a re-test; then what made the figures, the hiprom version
and the pose model file's SHA-256 (empty where the analysis does not say), so that a row kept from an
earlier run says which version's figures it holds; then what was analysed and where the camera stood
(:data:`CAMERA_FIELDS`); then the reference and the normal bands (:data:`BAND_FIELDS`) the figures were
compared with."""
SUMMARY_COLUMNS: tuple[str, ...] = (
    *ANALYSIS_FIELDS, *(f"{side}_{k}" for side in SIDES for k in SIDE_FIELDS),
    *(f"asymmetry_{k}" for k in ASYMMETRY_FIELDS), "verdict", "quality_notes",
)
"""The columns of one analysis in a summary CSV: the clinic's export and the batch's ``summary.csv``."""
TRIAL_FIELDS: tuple[str, ...] = (
    "side", "direction", "peak_deg", "peak_unc_deg", "peak_t_s", "start_s", "end_s", "hold_s",
    "hold_start_s", "hold_end_s", "valid", "flags", "reasons", "method",
)
"""Fields of each trial (docs/formats.md), in the column order of a trials CSV."""


def rnd(value: Any, decimals: int = DECIMALS) -> float | None:
    """``value`` rounded for display and export (``hiprom.rounding``); ``None`` stays ``None``."""
    return rounded_number(number(value), decimals)


def fmt(value: Any, decimals: int = DECIMALS, missing: str = "—") -> str:
    """The text of a rounded figure (``32.1``, ``−9.0``: :func:`hiprom.rounding.shown`), or ``missing``
    when not measurable. For people (PDF, CLI); the CSVs keep the number."""
    return shown(rnd(value, decimals), decimals) or missing


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
    built_in = Norms()  # for an older analysis that did not keep its norms
    norm = number(analysis.get("norm_deg")) or number(norms.get("norm_deg")) or built_in.norm_deg
    bands = norms.get("bands") or {}
    internal = [rnd(v) for v in (bands.get("internal") or built_in.internal_band_deg)]
    external = [rnd(v) for v in (bands.get("external") or built_in.external_band_deg)]
    return {
        "norm_deg": rnd(norm),
        "arc_norm_deg": rnd(number(norms.get("arc_norm_deg")) or 2 * norm),
        "asymmetry_threshold_deg": rnd(
            number((analysis.get("asymmetry") or {}).get("threshold_deg"))
            or number(norms.get("asymmetry_threshold_deg")) or built_in.asymmetry_threshold_deg
        ),
        "mdc_deg": [rnd(v) for v in (norms.get("mdc_deg") or built_in.mdc_deg)],
        # The total arc's band is the sum of the other two (``Norms.arc_band_deg``), as it was judged against.
        "bands": {"internal": internal, "external": external,
                  "total_arc": [None if i is None or e is None else rnd(i + e) for i, e in zip(internal, external)]},
        "measurable": bool(analysis.get("measurable", True)),
        "not_measurable_reason": analysis.get("not_measurable_reason"),
        "not_measurable_advice": words["not_measurable"] or None,  # null, as the reason, when there is none
        "verdict": analysis.get("verdict"),
        "sides": {side: rounded(analysis["sides"].get(side) or {}, SIDE_FIELDS) for side in SIDES},
        "asymmetry": rounded(_flat_asymmetry(analysis, words["asymmetry"]), ASYMMETRY_FIELDS),
        "bands_words": words["bands"],
        "overall": words["overall"],
        # The comparisons the test could not decide, in one sentence (None when it decided them all).
        "undecided": undecided_asymmetry(analysis),
        "camera": {k: rnd(v, 2) for k, v in (analysis.get("camera") or {}).items()},
        "camera_position": words["camera_position"],
        "camera_advice": words["camera"],
        "trials": [rounded(t, TRIAL_FIELDS) for t in analysis.get("trials") or []],
        "notes": words["notes"],
    }


def summary_row(analysis: dict[str, Any], fig: dict[str, Any] | None = None) -> dict[str, Any]:
    """One analysis as the :data:`SUMMARY_COLUMNS` of a summary CSV, rounded as in the PDF.

    ``fig`` is ``summary(analysis)`` when the caller already has it. The quality
    notes are its sentences (:func:`~hiprom.assessment.wording.quality_notes`), one after the other.
    """
    fig = fig or summary(analysis)
    row: dict[str, Any] = {k: analysis.get(k) for k in ANALYSIS_FIELDS}
    row.update(measurable=fig["measurable"], not_measurable_reason=fig["not_measurable_reason"],
               norm_deg=fig["norm_deg"], duration_s=rnd(analysis.get("duration_s"), 3))
    camera = analysis.get("camera") or {}
    row.update(camera_yaw_deg=rnd(camera.get("yaw_deg")), camera_height_m=rnd(camera.get("height_m"), 2),
               camera_distance_m=rnd(camera.get("distance_m"), 2), camera_advice=" ".join(fig["camera_advice"]))
    for m in MEASURES:
        band = fig["bands"][m.removesuffix("_rotation")]
        row.update({f"{m}_band_low_deg": band[0], f"{m}_band_high_deg": band[1]})
    for side in SIDES:
        row.update({f"{side}_{k}": fig["sides"][side].get(k) for k in SIDE_FIELDS})
    row.update({f"asymmetry_{k}": fig["asymmetry"].get(k) for k in ASYMMETRY_FIELDS})
    row["verdict"] = fig["verdict"]
    row["quality_notes"] = " ".join(fig["notes"])
    return row


def _flat_asymmetry(analysis: dict[str, Any], sentences: dict[str, str]) -> dict[str, Any]:
    """The asymmetry block with its verdicts as flat ``<measure>_verdict`` / ``<measure>_within_mdc`` /
    ``<measure>_words`` fields (one CSV column each) and ``mdc_deg``, the MDC the second was judged against.
    An analysis saved before three-way verdicts existed (hiprom 0.1) is judged again by today's
    rule (:func:`~hiprom.assessment.summary.judged_asymmetry`), as its tables and sentences are."""
    asym = judged_asymmetry(analysis)
    verdicts = asymmetry_verdicts(asym)
    under = within_mdc(analysis)
    asym.pop("verdicts", None)
    asym.pop("saved_verdicts", None)
    for measure, sentence in sentences.items():
        asym[f"{measure}_verdict"] = verdicts[measure]
        asym[f"{measure}_within_mdc"] = under[measure]
        asym[f"{measure}_words"] = sentence
    asym["mdc_deg"] = mdc_low(analysis)
    return asym
