"""What a screen reader says for each picture of a PDF (its ``alt`` text, the tagged PDF's ``/Alt``).

A chart's alt text gives what the chart shows with its figures, in the words and side order of the
tables (left then right, one decimal, "°"), so a person who cannot see it is told what a reader sees;
where the figures are in a table just after, it says so rather than read them all out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hiprom.assessment.wording import NAMES, degrees
from hiprom.landmarks import SIDES
from hiprom.rounding import counted


def _figure(value: Any) -> str:
    return "not measured" if value is None else degrees(float(value))


def bars_alt(fig: dict[str, Any]) -> str:
    """The side-bars chart (``fig``: ``figures.summary``): "Bar chart of each side against the 45°
    reference and the normal bands. Left: internal rotation 32.8°, external rotation 27.0°, total arc
    59.8°. Right: …"."""
    sides = " ".join(
        f"{side.capitalize()}: " + ", ".join(f"{NAMES[m]} {_figure(fig['sides'][side].get(f'{m}_deg'))}"
                                             for m in NAMES) + "."
        for side in SIDES)
    return (f"Bar chart of each side against the {fig['norm_deg']:g}° reference and the normal bands "
            f"(total arc against {fig['arc_norm_deg']:g}°). {sides}")


def time_alt(fig: dict[str, Any], duration_s: float | None) -> str:
    """The angle-over-time chart: what it draws, how long and how many trials; their peaks and holds are
    read from the Trials table."""
    trials = fig["trials"]
    counted_trials = sum(1 for t in trials if t.get("valid"))
    length = f" over the {duration_s:.0f} s of the recording" if duration_s else ""
    return (f"Line chart of the rotation of each hip{length}, with {counted(len(trials), 'trial')} marked "
            f"({counted_trials} counted); each trial's peak, hold and whether it counted are in the Trials table.")


def trend_alt(days: Sequence[str], in_table: int) -> str:
    """The history chart of visits on ``days`` (as the table writes a day, oldest first), ``in_table`` of
    them listed in the table after it."""
    span = f" from {days[0]} to {days[-1]}" if len(days) > 1 else f" on {days[0]}" if days else ""
    table = f"; the figures of the last {counted(in_table, 'session')} are in the table after it" if in_table else ""
    return f"Chart of the best figures of each side at {counted(len(days), 'visit')}{span}, this session ringed{table}."


def snapshot_alt(side: str) -> str:
    """A peak snapshot: a picture from the recording."""
    return f"Picture from the recording of the {side} leg at its held peaks, with the tracked skeleton drawn over it."


def agreement_alt(label: str, figures: dict[str, Any], labels: Sequence[str]) -> str:
    """A measure's agreement plots in the validation report (``figures``: the study's figures of that measure,
    ``labels``: the two instruments): how many pairs, the bias and the limits of agreement it draws."""
    said = (f"{label}: scatter plot of {labels[0]} against {labels[1]} and Bland–Altman plot of the "
            f"{counted(int(figures.get('n') or 0), 'pair')}")
    if figures.get("bias_deg") is None or figures.get("loa_low_deg") is None:
        return f"{said}."
    return (f"{said}: bias {degrees(figures['bias_deg'], signed=True)}, 95% limits of agreement "
            f"{degrees(figures['loa_low_deg'], signed=True)} to {degrees(figures['loa_high_deg'], signed=True)}.")
