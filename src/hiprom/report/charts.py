"""The report's charts, drawn with matplotlib as SVG text (vector, sharp in print).

Each function takes plain analysis data and returns an SVG document, or
``None`` when there is nothing to draw. Figures are made with the
object-oriented API (no pyplot state), so charts can be drawn from several
threads of the server. Left is blue and right is orange in every chart, and told apart without colour too
(most clinics print in black and white): right's bars are hatched, its curves dashed with square marks.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import dates as mdates
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hiprom.assessment import Norms
from hiprom.assessment.wording import MEASURE_LABELS
from hiprom.landmarks import SIDES
from hiprom.report.chart_labels import clear_place, date_ticks
from hiprom.report.figures import number
from hiprom.rounding import MINUS, shown
from hiprom.store.records import local_time

SIDE_COLORS = {"left": "#1f5fa8", "right": "#d9480f"}
SIDE_LABELS = {"left": "Left", "right": "Right"}
# Left and right print as nearly the same grey (luminance 84 and 109 of 255): each side has a pattern of its own.
SIDE_HATCH = {"left": None, "right": "////"}
"""The side bars' pattern: right's hatched in white over its colour."""
SIDE_LINE = {"left": "-", "right": (0, (4.5, 1.5))}
"""The curves' line style: left solid, right in long dashes (the reference lines' dashes are shorter and thinner)."""
SIDE_MARKER = {"left": "o", "right": "s"}
"""The history chart's marks of each visit: left round, right square."""
INVALID_HATCH = "///"
"""The angle-over-time chart's stripes of trials that did not count: hatched, beside the plain grey of those that did."""
NORM_COLOR = "#333333"
BAND_COLOR = "#2f9e44"
MM = 1 / 25.4  # inches per millimetre

LABEL_PT = 8.5
"""Size of the charts' smallest words (a bar's figure, a reference line's name, a date), in points as
printed: the charts are drawn at the width they print at, beside 10 pt text read by older patients."""

_RC = {
    "font.family": ["DejaVu Sans"],
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "hiprom",
}

def _svg(fig: Figure) -> str:
    """The figure as SVG text, saved with the charts' settings (fonts as paths, the fixed id salt)."""
    buf = io.StringIO()
    with rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "hiprom"})
    return buf.getvalue()


def side_bars(summary: dict[str, Any], width_mm: float = 180, height_mm: float = 45) -> str:
    """Bars of IR and ER per side against the norm and the AMA bands; total arc beside.

    Args:
        summary: :func:`hiprom.report.figures.summary` of the analysis.
    """
    return _svg(side_bars_figure(summary, width_mm, height_mm))


def side_bars_figure(summary: dict[str, Any], width_mm: float = 180, height_mm: float = 45) -> Figure:
    """The figure of :func:`side_bars`; one legend above both plots, so it never covers a bar or its figure."""
    norm = summary["norm_deg"]
    arc_norm = summary["arc_norm_deg"]
    bands = summary["bands"]
    with rc_context(_RC):
        fig = Figure(figsize=(width_mm * MM, height_mm * MM), layout="constrained")
        ax_rot, ax_arc = fig.subplots(1, 2, width_ratios=[2.2, 1])
        groups = (("internal", "internal_rotation"), ("external", "external_rotation"))
        top = max(
            [norm * 1.25, *(bands["internal"] + bands["external"])]
            + [_v(summary, s, f"{m}_deg") + (_v(summary, s, f"{m}_unc_deg")) for s in SIDES for _, m in groups]
        ) * 1.08
        for gi, (band_key, measure) in enumerate(groups):
            lo, hi = bands[band_key]
            ax_rot.fill_between([gi - 0.42, gi + 0.42], lo, hi, color=BAND_COLOR, alpha=0.14, lw=0,
                                label="AMA normal band" if gi == 0 else None)
            for si, side in enumerate(SIDES):
                _bar(ax_rot, gi + (si - 0.5) * 0.36, summary, side, measure, top, norm)
        ax_rot.axhline(norm, color=NORM_COLOR, ls="--", lw=0.9, label=f"Reference {norm:g}°")
        ax_rot.set_xticks([0, 1], [MEASURE_LABELS[m] for _, m in groups])
        ax_rot.set_ylim(0, top)
        ax_rot.set_ylabel("degrees")
        ax_rot.set_xlim(-0.6, 1.6)
        arc_top = max(arc_norm * 1.3, *(_v(summary, s, "total_arc_deg") + _v(summary, s, "total_arc_unc_deg")
                                         for s in SIDES)) * 1.08
        for si, side in enumerate(SIDES):
            _bar(ax_arc, (si - 0.5) * 0.36, summary, side, "total_arc", arc_top, arc_norm)
        ax_arc.axhline(arc_norm, color=NORM_COLOR, ls="--", lw=0.9)
        ax_arc.text(0.75, arc_norm, f"{arc_norm:g}°", va="bottom", ha="right", fontsize=LABEL_PT, color=NORM_COLOR)
        ax_arc.set_xticks([0], ["Total arc"])
        ax_arc.set_xlim(-0.6, 0.75)
        ax_arc.set_ylim(0, arc_top)
        # The side colours from the palette, not from a bar: a side not measured draws a grey stub.
        handles = [Patch(facecolor=SIDE_COLORS[side], edgecolor="white", hatch=SIDE_HATCH[side], lw=0,
                         label=SIDE_LABELS[side]) for side in SIDES]
        handles += ax_rot.get_legend_handles_labels()[0]
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles))
        return fig


def _v(summary: dict[str, Any], side: str, key: str) -> float:
    return number(summary["sides"][side].get(key)) or 0.0


LABEL_HEIGHT = 0.15
"""A bar's figure is at most this fraction of its plot's height tall (8.5 pt on a plot 28 mm or more)."""


def _bar(ax: Any, x: float, summary: dict[str, Any], side: str, measure: str, top: float, reference: float) -> None:
    """One bar of ``side``'s ``measure`` at ``x``, its ± and its figure, on a plot ``top`` degrees high
    that draws the ``reference`` line."""
    value = number(summary["sides"][side].get(f"{measure}_deg"))
    color = SIDE_COLORS[side]
    if value is None:
        ax.bar(x, top * 0.02, width=0.34, color="#bbbbbb")
        ax.text(x, top * 0.04, "not\nmeasurable", ha="center", va="bottom", fontsize=LABEL_PT, color="#555555")
        return
    unc = number(summary["sides"][side].get(f"{measure}_unc_deg"))
    ax.bar(x, value, width=0.34, color=color, edgecolor="white", hatch=SIDE_HATCH[side], lw=0, zorder=2)
    if unc:
        ax.errorbar(x, value, yerr=unc, color="#222222", lw=0.8, capsize=2.5, zorder=3)
    y = value + (unc or 0) + top * 0.015
    # A figure the reference line would strike through ("37.9°" under the 45° dashes) is set on white, over it.
    struck = y <= reference <= y + top * LABEL_HEIGHT
    ax.text(x, y, f"{shown(value)}°", ha="center", va="bottom", fontsize=LABEL_PT, zorder=5,
            bbox={"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none"} if struck else None)


def angle_over_time(analysis: dict[str, Any], width_mm: float = 180, height_mm: float = 44) -> str | None:
    """Signed angle of each side over time, trial windows shaded, held peaks marked.

    ``+`` is internal and ``-`` external rotation; gaps are unmeasurable
    frames; a hollow marker is a trial that did not count (compensation,
    too short a hold). Returns ``None`` when the analysis has no series.
    """
    fig = angle_over_time_figure(analysis, width_mm, height_mm)
    return None if fig is None else _svg(fig)


PEAK_MARK_DEG = 4.0
"""How far above and below its peak a peak's triangle reaches on the angle-over-time chart, in degrees
(5.5 pt on a chart some 30 mm high for about 125°): what a reference line's name keeps clear of."""


def angle_over_time_figure(analysis: dict[str, Any], width_mm: float = 180, height_mm: float = 44) -> Figure | None:
    """The figure of :func:`angle_over_time`; each reference line's name is placed beside its line where no
    curve, band or peak is drawn (:func:`hiprom.report.chart_labels.clear_place`)."""
    series = analysis.get("series") or {}
    t = _array(series.get("t_s"))
    if t.size < 2:
        return None
    norm = number(analysis.get("norm_deg")) or Norms().norm_deg
    drawn: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    with rc_context(_RC):
        fig = Figure(figsize=(width_mm * MM, height_mm * MM), layout="constrained")
        ax = fig.add_subplot()
        trials = analysis.get("trials") or []
        for valid, color, hatch in ((True, "#e9ecef", None), (False, "#fff0e6", INVALID_HATCH)):
            spans = [(start, end - start) for tr in trials if bool(tr.get("valid")) is valid
                     for start, end in [(number(tr.get("start_s")), number(tr.get("end_s")))]
                     if start is not None and end is not None]
            if spans:  # one artist for all windows: a session's work stays bounded
                ax.broken_barh(spans, (-1e4, 2e4), facecolor=color, edgecolor="#f5c09f" if hatch else color,
                               hatch=hatch, lw=0, zorder=0)
        for side in SIDES:
            ts, y, unc = _envelope(t, _array(series.get(f"{side}_deg"), t.size),
                                   _array(series.get(f"{side}_unc_deg"), t.size))
            color = SIDE_COLORS[side]
            if np.isfinite(unc).any():
                ax.fill_between(ts, y - unc, y + unc, color=color, alpha=0.15, lw=0, zorder=1)
            ax.plot(ts, y, color=color, lw=1.1, ls=SIDE_LINE[side], label=SIDE_LABELS[side], zorder=2)
            band = np.where(np.isfinite(unc), unc, 0.0)
            drawn.append((ts, y - band, y + band))
        peaks: dict[tuple[str, bool, bool], list[tuple[float, float]]] = {}
        for trial in trials:
            peak, when = number(trial.get("peak_deg")), number(trial.get("peak_t_s"))
            side = trial.get("side")
            if peak is None or when is None or side not in SIDE_COLORS:
                continue
            signed = peak if trial.get("direction") == "internal" else -peak
            peaks.setdefault((side, signed >= 0, bool(trial.get("valid"))), []).append((when, signed))
        for (side, up, valid), points in peaks.items():
            xs, ys = zip(*points)
            ax.plot(xs, ys, ls="none", marker="v" if up else "^", ms=5.5, zorder=4,
                    color=SIDE_COLORS[side], mfc=SIDE_COLORS[side] if valid else "white", mew=1.0)
            drawn.append((np.array(xs), np.array(ys) - PEAK_MARK_DEG, np.array(ys) + PEAK_MARK_DEG))
        for level in (norm, -norm):
            ax.axhline(level, color=NORM_COLOR, ls="--", lw=0.7, zorder=1)
        ax.axhline(0, color="#888888", lw=0.5, zorder=1)
        ax.set_xlim(t[0], t[-1])
        finite = [abs(v) for s in SIDES for v in _array(series.get(f"{s}_deg"), t.size) if math.isfinite(v)]
        lim = max([norm * 1.25, *finite]) * 1.1
        ax.set_ylim(-lim, lim)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("degrees")  # + internal, − external: the reference lines' names and the caption say so
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles, labels, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.1)
        labels = [(ax.text(t[-1], level, words, ha="right", va="bottom" if level > 0 else "top", fontsize=LABEL_PT,
                           color=NORM_COLOR, zorder=5), level)
                  for level, words in ((norm, f"+{norm:g}° internal reference"),
                                       (-norm, f"{MINUS}{norm:g}° external reference"))]
        clear_place(fig, ax, labels, drawn)
        return fig


def trend(history: Sequence[Any], current_id: int | None, width_mm: float = 180,
          height_mm: float = 40) -> str | None:
    """IR, ER and total arc of each side over all the subject's sessions, placed by date (oldest first).

    Args:
        history: session records (``hiprom.store.SessionRecord``) with the
            ``left_ir_deg`` ... ``right_arc_deg`` summary figures.
        current_id: the session of this report, drawn with a larger marker.

    Returns ``None`` with fewer than two sessions.
    """
    fig = trend_figure(history, current_id, width_mm, height_mm)
    return None if fig is None else _svg(fig)


MANY_VISITS = 12
"""Beyond this many sessions the trend draws smaller markers, so 40 visits do not merge into one band."""
MIN_TREND_SPAN_DAYS = 4.0
"""The shortest stretch of days the trend's axis covers: two visits on one day stand in the middle of
a few days, under their date, not at the ends of an axis of minutes."""
VISIT_DAY_TICKS_DAYS = 14.0
"""Visits less than this many days apart are ticked at their own days; a longer course at round dates."""


def visit_times(history: Sequence[Any]) -> np.ndarray:
    """Each session's time on the clinic's clock (``shown_time``'s day), as matplotlib date numbers (n,)."""
    return np.array([mdates.date2num(local_time(h.recorded_utc).replace(tzinfo=None)) for h in history])


def trend_figure(history: Sequence[Any], current_id: int | None, width_mm: float = 180,
                 height_mm: float = 40) -> Figure | None:
    """The figure of :func:`trend`: each visit where its date falls (a week apart looks a week apart, a
    year a year), ticked at as many round dates as stand apart at the charts' 9 pt (days, months or
    years, as the tables print them: :func:`hiprom.report.chart_labels.date_ticks`), the legend above
    the panels."""
    if len(history) < 2:
        return None
    history = list(history)
    x = visit_times(history)
    many = len(history) > MANY_VISITS
    panels = (("ir", MEASURE_LABELS["internal_rotation"]), ("er", MEASURE_LABELS["external_rotation"]),
              ("arc", MEASURE_LABELS["total_arc"]))
    now = [i for i, h in enumerate(history) if h.id == current_id]
    with rc_context(_RC):
        fig = Figure(figsize=(width_mm * MM, height_mm * MM), layout="constrained")
        axes = fig.subplots(1, 3, sharex=True)
        for ax, (key, title) in zip(axes, panels):
            for side in SIDES:
                y = np.array([number(getattr(h, f"{side}_{key}_deg")) for h in history], dtype=float)
                seen = np.isfinite(y)  # a visit that measured nothing leaves no gap in the line
                ax.plot(x[seen], y[seen], color=SIDE_COLORS[side], lw=0.8 if many else 1.0, ls=SIDE_LINE[side],
                        marker=SIDE_MARKER[side], ms=2 if many else 3, label=SIDE_LABELS[side])
                if now:
                    ax.plot(x[now], y[now], SIDE_MARKER[side], ms=5 if many else 6, color=SIDE_COLORS[side], mfc="white",
                            mew=1.2 if many else 1.4, zorder=3)
            ax.set_title(title)
            ax.margins(y=0.25)
            ax.set_ylabel("degrees" if key == "ir" else None)
        lo, hi = float(x.min()), float(x.max())
        pad = max(hi - lo, MIN_TREND_SPAN_DAYS) * 0.08 + max(0.0, MIN_TREND_SPAN_DAYS - (hi - lo)) / 2
        axes[0].set_xlim(lo - pad, hi + pad)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncols=2)
        date_ticks(fig, axes, x, few_days=hi - lo < VISIT_DAY_TICKS_DAYS)
        return fig


MAX_CHART_POINTS = 2000
"""Points drawn per curve at most; longer series are drawn as their min/max envelope."""


def _envelope(t: np.ndarray, y: np.ndarray, unc: np.ndarray,
              max_points: int = MAX_CHART_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series (n,) thinned to at most ``max_points``: each bucket of frames keeps its lowest and highest angle.

    Peaks stay visible at any length while the chart's work stays bounded;
    the uncertainty band takes each bucket's largest value.
    """
    n = t.size
    per = int(np.ceil(2 * n / max_points))
    if per <= 1:
        return t, y, unc
    pad = (-n) % per
    buckets = n // per + (pad > 0)

    def grid(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.full(pad, np.nan)]).reshape(buckets, per)

    ty, yy, uy = grid(t), grid(y), grid(unc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN bucket is a gap in the curve
        lo, hi, u = np.nanmin(yy, axis=1), np.nanmax(yy, axis=1), np.nanmax(uy, axis=1)
        t0, t1 = np.nanmin(ty, axis=1), np.nanmax(ty, axis=1)
    # (t0, min), (t1, max) per bucket, interleaved: 2 points per bucket.
    return (np.column_stack([t0, t1]).ravel(), np.column_stack([lo, hi]).ravel(),
            np.column_stack([u, u]).ravel())


def _array(values: Any, n: int | None = None) -> np.ndarray:
    """A float array of a JSON list, ``None`` as NaN; all-NaN of length ``n`` if absent."""
    if values is None:
        return np.full(n or 0, np.nan)
    out = np.array([np.nan if v is None else v for v in values], dtype=float)
    if n is not None and out.size != n:
        fixed = np.full(n, np.nan)
        fixed[: min(n, out.size)] = out[:n]
        return fixed
    return out
