"""The Bland-Altman plot of a validation study."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from hiprom.report import charts as report_charts
from hiprom.validation import Pair, summarize
from hiprom.validation.charts import agreement_chart


def test_each_limits_interval_is_its_own_bar_clear_of_the_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """With 3 people the two limits' intervals (-15 to 0.6 and -0.1 to 16 deg) were two pale shades
    that merged into one tint over the whole plot: no telling where either interval ends."""
    drawn: list[Figure] = []
    monkeypatch.setattr(report_charts, "_svg", lambda fig: drawn.append(fig) or "<svg/>")
    pairs = [Pair("left_internal", a, b, s) for s, a, b in [("A", 30, 29), ("B", 35, 33), ("C", 40, 41), ("C", 40, 39)]]
    figs = summarize(pairs)["measures"]["left_internal"]
    agreement_chart([p.to_dict() for p in pairs], figs, ("hiprom", "goniometer"))
    ax = drawn[0].axes[1]
    assert not ax.patches  # no shades
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    ends = sorted(tuple(np.round(sorted(seg[:, 1]), 6)) for bar in bars for seg in bar.get_segments())
    assert ends == sorted(tuple(np.round(figs[f"{k}_ci_deg"], 6)) for k in ("loa_low", "loa_high"))
    low, high = ax.get_ylim()
    assert low < figs["loa_low_ci_deg"][0] and high > figs["loa_high_ci_deg"][1]
    means = [(p.a_deg + p.b_deg) / 2 for p in pairs]
    left, right = ax.get_xlim()
    assert left + 0.93 * (right - left) > max(means)  # the bars stand right of every point
