"""One plain sentence that sums up an analysis result."""

from __future__ import annotations

from collections import Counter
from typing import Any

_LABEL = {"internal_rotation": "IR", "external_rotation": "ER", "total_arc": "total arc"}


def verdict(result: dict[str, Any]) -> str:
    """The one-line conclusion of a ``hiprom.analysis/1`` result.

    Says whether the test was measurable, whether a left-right difference
    exceeds the threshold (and which), and how the figures compare with the norm.
    """
    if not result.get("measurable"):
        return f"Not measurable: {result.get('not_measurable_reason')}."
    sides = result["sides"]
    asym = result["asymmetry"]
    trials = result.get("trials", [])
    invalid = [tr for tr in trials if not tr["valid"]]
    has_figure = any(
        s.get(f"{m}_deg") is not None for s in sides.values() for m in ("internal_rotation", "external_rotation")
    )
    if not has_figure:
        if not invalid:
            return "No trial found on either side: no rotation beyond the noise floor was held."
        reasons = Counter(r for tr in invalid for r in tr["reasons"])
        common = ", ".join(name for name, _ in reasons.most_common(2))
        return f"No valid trial on either side: {len(invalid)} invalid (most often {common})."
    norm = result["norm_deg"]
    parts: list[str] = []
    missing = [side for side, s in sides.items() if s.get("not_measurable")]
    if missing:
        parts.append(f"{' and '.join(missing).capitalize()} side not measurable")
    if asym.get("flagged"):
        diffs = ", ".join(
            f"{_LABEL[m]} {abs(asym[f'{m}_deg']):.0f} deg ({'left' if asym[f'{m}_deg'] > 0 else 'right'} larger)"
            for m in asym["flagged_measures"]
        )
        parts.append(f"asymmetry above {asym['threshold_deg']:g} deg: {diffs}")
    elif any(asym.get(f"{m}_deg") is not None for m in _LABEL):
        parts.append(f"no left-right difference above {asym['threshold_deg']:g} deg")
    else:
        parts.append("asymmetry not assessable (a figure is missing on one side)")
    below = [
        f"{side[0].upper()} {_LABEL[m]}"
        for side, s in sides.items()
        for m in ("internal_rotation", "external_rotation")
        if s.get(f"{m}_deg") is not None and s[f"{m}_deg"] < norm
    ]
    if below:
        parts.append(f"below the {norm:g} deg norm: {', '.join(below)}")
    elif any(s.get(f"{m}_deg") is not None for s in sides.values() for m in ("internal_rotation", "external_rotation")):
        parts.append(f"all figures at or above the {norm:g} deg norm")
    if invalid:
        parts.append(f"{len(invalid)} invalid trial{'s' if len(invalid) > 1 else ''} ignored")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
