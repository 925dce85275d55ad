"""Where a chart's words go: date ticks whose labels never run into each other, and a reference
line's name where no data is drawn.

Both measure the words as drawn (a figure drawn once without output), so they hold at the size the
charts print at (:data:`hiprom.report.charts.LABEL_PT` and up), whatever the data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator

DAY, MONTH, YEAR = "%Y-%m-%d", "%Y-%m", "%Y"
"""How the date axis writes a tick: as the tables write a day (``2026-03-02``), a month or a year,
never the ambiguous ``26-03-02``."""
LABEL_GAP_PT = 6.0
"""The least space between two tick labels as measured, in points (two thirds of an em at 9 pt)."""


def _style(days: Sequence[Any]) -> str:
    """The shortest form that tells ticks at ``days`` (datetimes) apart: a year, a month, or a day."""
    if all((d.month, d.day) == (1, 1) for d in days):
        return YEAR
    return MONTH if all(d.day == 1 for d in days) else DAY


def _candidates(x: np.ndarray, lo: float, hi: float, few_days: bool) -> list[tuple[list[float], str]]:
    """Tick sets to try, most ticks first: (matplotlib date numbers, format).

    ``few_days``: the visits' own days (mid-day, as the table prints them); else round dates as
    :class:`matplotlib.dates.AutoDateLocator` picks them for a range of tick counts. The last set is
    one tick, which always fits.
    """
    sets: list[tuple[list[float], str]] = []
    if few_days:
        days = sorted({float(np.floor(t)) + 0.5 for t in x})
        for keep in (days, [days[0], days[-1]] if len(days) > 1 else days, [days[len(days) // 2]]):
            sets.append((keep, DAY))
        return sets
    start, end = mdates.num2date(lo), mdates.num2date(hi)
    found: dict[tuple[float, ...], str] = {}
    for fewest in (4, 3, 2, 1):  # the least ticks of a unit picks the unit (years, months, days) ...
        for most in (m for m in (7, 5, 4, 3, 2) if m >= fewest):  # ... and the most its step (1, 3, 6 months)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a count no step of that unit gives: matplotlib warns
                try:
                    values = mdates.AutoDateLocator(minticks=fewest, maxticks=most).tick_values(start, end)
                except UserWarning:
                    continue
            ticks = tuple(t for t in values if lo <= t <= hi)
            if ticks:
                found.setdefault(ticks, _style([mdates.num2date(t) for t in ticks]))
    # Most ticks first; of as many, the shortest labels ("2026" before "2026-01").
    sets = sorted(([list(ticks), style] for ticks, style in found.items()), key=lambda s: (-len(s[0]), len(s[1])))
    middle = sets[-1][0][len(sets[-1][0]) // 2] if sets else float(np.floor((lo + hi) / 2)) + 0.5
    return [(ticks, style) for ticks, style in sets] + [([middle], _style([mdates.num2date(middle)]))]


def _apart(spans: Sequence[tuple[float, float]], gap_px: float) -> bool:
    """No two (left, right) spans closer than ``gap_px`` side to side (labels of neighbouring panels too)."""
    spans = sorted(spans)
    return all(b0 - a1 >= gap_px for (_, a1), (b0, _) in zip(spans, spans[1:]))


def date_ticks(fig: Figure, axes: Sequence[Any], x: np.ndarray, few_days: bool) -> None:
    """Tick the shared date axis of ``axes`` with the most labels that stand :data:`LABEL_GAP_PT` apart
    at the size they are drawn, within and across panels.

    Each set of ticks is measured on the figure as laid out once (a label's width as its font draws it);
    the gap leaves room for the panels moving a little when laid out again with those labels.

    Args:
        fig: the figure of ``axes``, its size final.
        axes: panels sharing one date axis (``sharex``), their limits set.
        x: the visits' dates as matplotlib date numbers (n,).
        few_days: tick the visits' own days (a course of a few days), else round dates.
    """
    lo, hi = axes[0].get_xlim()
    gap_px = LABEL_GAP_PT * fig.dpi / 72
    candidates = _candidates(x, lo, hi, few_days)
    fig.draw_without_rendering()
    font = axes[0].xaxis.get_major_ticks()[0].label1.get_fontproperties()
    widths: dict[str, float] = {}

    def width(words: str) -> float:
        if words not in widths:
            probe = fig.text(0, 0, words, fontproperties=font)
            widths[words] = probe.get_window_extent().width
            probe.remove()
        return widths[words]

    for ticks, style in candidates:
        words = [mdates.num2date(t).strftime(style) for t in ticks]
        spans = [(px - width(w) / 2, px + width(w) / 2) for ax in axes
                 for px, w in zip(ax.transData.transform([(t, 0) for t in ticks])[:, 0], words)]
        if _apart(spans, gap_px):
            break
    axes[0].xaxis.set_major_locator(FixedLocator(ticks))
    axes[0].xaxis.set_major_formatter(mdates.DateFormatter(style))


def clear_place(fig: Figure, ax: Any, labels: Sequence[tuple[Any, float]],
                curves: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], pad_pt: float = 2.0) -> None:
    """Move each of ``labels`` (a reference line's name and the level of its line on ``ax``) to where no
    data is drawn: beside its line, on the side away from zero first, at the right end first, else further
    left. A label keeps its place only when no place along its line is clear.

    Args:
        curves: what is drawn, as (t, low, high) arrays (n,) in data units: each curve, its band and
            its marks; a sample with a NaN is not drawn.
        pad_pt: the least space between the words and the data or their line, in points.
    """
    fig.draw_without_rendering()
    ts, lows, highs = (np.concatenate([c[k] for c in curves]) if curves else np.empty(0) for k in range(3))
    drawn = np.isfinite(ts) & np.isfinite(lows) & np.isfinite(highs)
    ts, lows, highs = ts[drawn], lows[drawn], highs[drawn]
    to_px, to_data = ax.transData, ax.transData.inverted()
    pad = pad_pt * fig.dpi / 72
    x_lo, x_hi = ax.get_xlim()
    frame = ax.get_window_extent()
    for text, level in labels:
        box = text.get_window_extent()
        (left_px, _), (right_px, line_px) = to_px.transform([(x_lo, level), (x_hi, level)])
        outward = 1.0 if level >= 0 else -1.0
        step = max(box.width / 4, 1.0)
        for y0 in (line_px + pad, line_px - pad - box.height)[::int(outward)]:
            if y0 < frame.y0 + pad or y0 + box.height > frame.y1 - pad:  # no room there inside the frame
                continue
            right = right_px - pad
            while right - box.width >= left_px + pad:
                (t0, v0), (t1, v1) = to_data.transform([(right - box.width - pad, y0 - pad),
                                                        (right + pad, y0 + box.height + pad)])
                near = (ts >= t0) & (ts <= t1)
                if not ((highs[near] >= v0) & (lows[near] <= v1)).any():
                    text.set_position(tuple(to_data.transform((right, y0))))
                    text.set_horizontalalignment("right")
                    text.set_verticalalignment("bottom")
                    break
                right -= step
            else:
                continue
            break
