"""Charts of a validation study: scatter and Bland-Altman plot of one measure, as SVG text.

Drawn with the report's matplotlib settings (:mod:`hiprom.report.charts`),
object-oriented API only, so the server can draw them from several threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from hiprom.report import charts
from hiprom.rounding import shown

POINT_COLOR = "#1f5fa8"
BIAS_COLOR = "#d9480f"
CI_BAR_X = {"loa_low": 0.935, "loa_high": 0.97}
"""Where the bars of the limits' confidence intervals stand, as a fraction of the plot's width."""


def agreement_chart(pairs: Sequence[Mapping[str, Any]], figs: Mapping[str, Any], labels: tuple[str, str],
                    width_mm: float = 180, height_mm: float = 58) -> str:
    """Scatter of ``b`` against ``a`` with the line of equality, and the Bland-Altman plot beside it.

    Args:
        pairs: the measure's pairs (``a_deg``, ``b_deg``), as in the study's ``pairs``.
        figs: the measure's figures (``bias_deg``, ``loa_low_deg``, ``loa_high_deg`` and their CIs).
        labels: axis names of ``a`` and ``b`` (``("hiprom", "goniometer")``).
    """
    a = np.array([p["a_deg"] for p in pairs], dtype=float)
    b = np.array([p["b_deg"] for p in pairs], dtype=float)
    with rc_context(charts._RC):
        fig = Figure(figsize=(width_mm * charts.MM, height_mm * charts.MM), layout="constrained")
        ax_xy, ax_ba = fig.subplots(1, 2)
        lo = float(min(a.min(), b.min())) - 3
        hi = float(max(a.max(), b.max())) + 3
        ax_xy.plot([lo, hi], [lo, hi], color="#333333", lw=0.8, ls="--", label="equal readings")
        ax_xy.scatter(b, a, s=10, color=POINT_COLOR, alpha=0.8, lw=0, zorder=3)
        ax_xy.set_xlim(lo, hi)
        ax_xy.set_ylim(lo, hi)
        ax_xy.set_aspect("equal")
        ax_xy.set_xlabel(f"{labels[1]} (degrees)")
        ax_xy.set_ylabel(f"{labels[0]} (degrees)")
        ax_xy.legend(loc="upper left")

        mean, diff = (a + b) / 2, a - b
        ax_ba.scatter(mean, diff, s=10, color=POINT_COLOR, alpha=0.8, lw=0, zorder=3)
        ax_ba.axhline(0, color="#999999", lw=0.6)
        bias = figs.get("bias_deg")
        span = [float(diff.min()), float(diff.max())]
        if bias is not None:
            ax_ba.axhline(bias, color=BIAS_COLOR, lw=1.0, label=f"bias {shown(bias)}°")
            for key in ("loa_low", "loa_high"):
                value, ci = figs[f"{key}_deg"], figs.get(f"{key}_ci_deg") or [None, None]
                ax_ba.axhline(value, color=BIAS_COLOR, lw=0.9, ls="--",
                              label="95% limits of agreement" if key == "loa_low" else None)
                if ci[0] is not None:  # a bar at the right edge, not a shade: wide intervals overlap and shades merge
                    ax_ba.vlines(CI_BAR_X[key], ci[0], ci[1], transform=ax_ba.get_yaxis_transform(),
                                 color=BIAS_COLOR, lw=2.4, alpha=0.45,
                                 label="95% CI of each limit" if key == "loa_low" else None)
                    span.extend(ci)
                ax_ba.text(1.0, value, f" {shown(value)}°", transform=ax_ba.get_yaxis_transform(),
                           va="center", ha="left", fontsize=6.5, color=BIAS_COLOR)
        pad = 0.08 * (max(span) - min(span)) or 1.0
        ax_ba.set_ylim(min(span) - pad, max(span) + pad)
        width = float(np.ptp(mean)) or 2.0  # room at the right for the bars, clear of the points
        ax_ba.set_xlim(float(mean.min()) - 0.05 * width, float(mean.max()) + 0.2 * width)
        ax_ba.set_xlabel(f"mean of {labels[0]} and {labels[1]} (degrees)")
        ax_ba.set_ylabel(f"{labels[0]} − {labels[1]} (degrees)")
        ax_ba.legend(loc="upper left", fontsize=6.5)
        return charts._svg(fig)
