"""One plain sentence that sums up an analysis result."""

from __future__ import annotations

from collections import Counter
from typing import Any

from hiprom.assessment.norms import Norms
from hiprom.assessment.reasons import reason_advice, reason_words
from hiprom.assessment.summary import judged_asymmetry
from hiprom.assessment.wording import NAMES, below_words, cannot_tell, degrees, no_trial_sentence
from hiprom.landmarks import SIDES
from hiprom.rounding import counted

_LABEL = NAMES
"""The measures as every sentence names them ("internal rotation"), the tables' words."""


def verdict(result: dict[str, Any]) -> str:
    """The one-line conclusion of a ``hiprom.analysis/1`` result.

    Says whether the test was measurable, whether a left-right difference
    exceeds the threshold (and which), which comparisons cannot be decided
    with the measured uncertainty, and which figures fall below the normal
    band (``norms.bands``, AMA: IR 30-40°, ER 40-60°). The band, not the 45°
    reference, decides "below": 33° IR is inside 30-40°, so it is not "below" anything.
    """
    if not result.get("measurable"):
        return f"Not measurable: {result.get('not_measurable_reason')}."
    sides = result["sides"]
    asym = judged_asymmetry(result)
    trials = result.get("trials", [])
    invalid = [tr for tr in trials if not tr["valid"]]
    has_figure = any(
        s.get(f"{m}_deg") is not None for s in sides.values() for m in ("internal_rotation", "external_rotation")
    )
    if not has_figure:
        if not invalid:
            return no_trial_sentence(result.get("duration_s"))
        common = [name for name, _ in Counter(r for tr in invalid for r in tr["reasons"]).most_common(2)]
        advice = reason_advice(common)
        return (f"No valid trial on either side: {len(invalid)} did not count (most often: {reason_words(common)})."
                + (f" Next time, {advice}." if advice else ""))
    bands = (result.get("norms") or {}).get("bands") or Norms().to_dict()["bands"]
    parts: list[str] = []
    missing = [side for side, s in sides.items() if s.get("not_measurable")]
    if missing:
        parts.append(f"{' and '.join(missing).capitalize()} side not measurable")
    verdicts = asym.get("verdicts") or {}
    threshold = f"{asym['threshold_deg']:g}°"
    exceeds = [m for m in _LABEL if verdicts.get(m) == "exceeds"]
    unsure = [m for m in _LABEL if verdicts.get(m) == "inconclusive"]
    if exceeds:
        diffs = ", ".join(
            f"{_LABEL[m]} {degrees(abs(asym[f'{m}_deg']))} ({'left' if asym[f'{m}_deg'] > 0 else 'right'} larger)"
            for m in exceeds
        )
        parts.append(f"asymmetry above {threshold}: {diffs}")
    if unsure:
        parts.append(f"{cannot_tell(threshold)} in {', '.join(_LABEL[m] for m in unsure)}; repeat the test")
    if not exceeds and not unsure:
        if any(verdicts.get(m) == "within" for m in _LABEL):
            parts.append(f"no left-right difference above {threshold}")
        else:
            parts.append("asymmetry not assessable (a figure is missing on one side)")
    below: dict[str, list[str]] = {}  # "below" / "possibly below" (its band verdict cannot tell) -> figures
    for side in SIDES:
        for m in ("internal_rotation", "external_rotation") if side in sides else ():
            value = sides[side].get(f"{m}_deg")
            if value is not None and value < bands[m.split("_")[0]][0]:
                where = below_words(sides[side].get(f"{m.split('_')[0]}_rotation_band"))
                below.setdefault(where, []).append(f"{side} {_LABEL[m]} {degrees(value)}")
    parts += [f"{where} the normal band: {', '.join(below[where])}" for where in ("below", "possibly below") if where in below]
    if not below and any(s.get(f"{m}_deg") is not None for s in sides.values()
                         for m in ("internal_rotation", "external_rotation")):
        parts.append("no figure below the normal band")
    # Figures missing on a side that was seen (no trial of that direction): else "no figure below" reads as "all fine".
    absent = [f"{side} {_LABEL[m]}" for side in SIDES if side in sides and side not in missing
              for m in ("internal_rotation", "external_rotation") if sides[side].get(f"{m}_deg") is None]
    if absent:
        parts.append(f"not measured: {', '.join(absent)}")
    if invalid:
        # Not "ignored": a side whose every trial did not count shows the best of them, marked unconfirmed.
        parts.append(f"{counted(len(invalid), 'trial')} did not count")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
