"""Suggestions from a result: which exercises, for which side and direction, and why.

Two rules, applied to a ``hiprom.analysis/1`` dict (``docs/exercises.md``):

1. **Below the band.** A side's internal or external rotation below the low
   end of its normal band (``norms.bands``, AMA: IR 30-40 deg, ER 40-60 deg)
   asks for exercises that target that direction, for that side; "possibly
   below" when its band verdict cannot tell (the figure's +- reaches into the band).
2. **The smaller side of an asymmetry that exceeds the threshold.** For each
   left-right comparison whose verdict is ``exceeds`` (``asymmetry.verdicts``
   when the result has them; older results: the measures in
   ``asymmetry.flagged_measures``), the smaller side gets exercises for that
   direction; for the total arc, the direction in which it is furthest behind.
   ``inconclusive`` and ``within`` suggest nothing.

Each finding (a limited side and direction) gets the first :data:`PER_FINDING`
exercises of the catalogue that target its direction, in catalogue order (a
clinic orders its catalogue by what it would give first); :data:`MOST` bounds
them all, so that three or four findings get two each. An exercise is suggested
once per side: done with both legs at once (``sides = "both"``) it is suggested
once, with side ``"both"``, and one that targets both directions, once for the
side; a later finding it serves adds its reason and counts it. Not measurable
results suggest nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hiprom.assessment.exercises import Catalogue, load_catalogue
from hiprom.assessment.norms import Norms
from hiprom.assessment.summary import asymmetry_verdicts, judged_asymmetry
from hiprom.assessment.trials import DIRECTIONS
from hiprom.assessment.wording import below_words, degrees
from hiprom.landmarks import SIDES

EXCEEDS = "exceeds"

PER_FINDING = 3
"""Exercises suggested for one limited side and direction: a home program a person keeps up."""
MOST = 8
"""Suggestions in all (two per finding when all four directions are limited): the home program fits two pages."""


def _bands(result: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    bands = ((result.get("norms") or {}).get("bands")) or {}
    defaults = Norms()
    return {
        "internal": tuple(bands.get("internal") or defaults.internal_band_deg),  # type: ignore[dict-item]
        "external": tuple(bands.get("external") or defaults.external_band_deg),  # type: ignore[dict-item]
    }


def findings(result: Mapping[str, Any]) -> list[dict[str, str]]:
    """The limited (side, direction) pairs of a result, each with its reasons in plain words.

    Returns ``[{"side", "direction", "reason"}]`` in side order (left, right),
    then direction order (internal, external); reasons of one pair joined by "; ".
    """
    if not result.get("measurable"):
        return []
    sides = result["sides"]
    reasons: dict[tuple[str, str], list[str]] = {}
    for side in SIDES:
        for direction in DIRECTIONS:
            value = sides[side].get(f"{direction}_rotation_deg")
            low, high = _bands(result)[direction]
            if value is not None and value < low:
                unconfirmed = "" if sides[side].get(f"{direction}_rotation_confirmed", True) else " (unconfirmed)"
                where = below_words(sides[side].get(f"{direction}_rotation_band"))
                reasons.setdefault((side, direction), []).append(
                    f"{side} {direction} rotation {degrees(value)}{unconfirmed}, {where} the {low:g}–{high:g}° band"
                )
    asym = judged_asymmetry(result)
    for measure, verdict in asymmetry_verdicts(asym).items():
        diff = asym.get(f"{measure}_deg")
        if verdict != EXCEEDS or not diff:
            continue
        smaller, larger = ("right", "left") if diff > 0 else ("left", "right")
        if measure == "total_arc":
            # The direction in which the smaller side is furthest behind (IR and ER are both measured here).
            gap = {d: sides[larger][f"{d}_rotation_deg"] - sides[smaller][f"{d}_rotation_deg"] for d in DIRECTIONS}
            behind = [max(DIRECTIONS, key=lambda d: gap[d])]
        else:
            behind = [measure.split("_")[0]]
        # Named as the report's rows name it ("left total arc 62°"), never by a word of its own.
        value = sides[smaller].get(f"{measure}_deg")
        figure = "" if value is None else f" {degrees(value)},"
        text = f"{smaller} {measure.replace('_', ' ')}{figure} {degrees(abs(diff))} less than the {larger} side"
        for direction in behind:
            reasons.setdefault((smaller, direction), []).append(text)
    return [
        {"side": side, "direction": direction, "reason": "; ".join(reasons[(side, direction)])}
        for side in SIDES
        for direction in DIRECTIONS
        if (side, direction) in reasons
    ]


def recommend(result: Mapping[str, Any], catalogue: Catalogue | None = None) -> list[dict[str, str]]:
    """The suggested exercises of a result: ``[{"exercise", "side", "direction", "reason"}]``.

    Args:
        result: a ``hiprom.analysis/1`` dict (its ``sides``, ``asymmetry``, ``norms``).
        catalogue: the exercises to choose from (``load_catalogue()`` when None).

    Returns:
        Up to :data:`PER_FINDING` entries per limited side and direction (fewer
        when more than two are limited: :data:`MOST` in all), in side, direction
        and catalogue order; empty when everything is in band and no asymmetry exceeds.
    """
    catalogue = catalogue or load_catalogue()
    found = findings(result)
    if not found:
        return []
    quota = min(PER_FINDING, max(1, MOST // len(found)))
    out: list[dict[str, str]] = []
    given: dict[tuple[str, str], dict[str, str]] = {}  # (exercise, side or "both") -> its entry
    for finding in found:
        served = 0
        for ex in catalogue.targeting(finding["direction"]):
            if served == quota:
                break
            side = "both" if ex.sides == "both" else finding["side"]
            entry = given.get((ex.id, side))
            if entry is not None:  # already suggested for this side: it serves this finding too
                entry["reason"] += "; " + finding["reason"]
            else:
                entry = given[(ex.id, side)] = {"exercise": ex.id, **finding, "side": side}
                out.append(entry)
            served += 1
    return out
