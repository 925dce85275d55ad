"""Charts: SVG documents, or None when there is nothing to draw."""

from __future__ import annotations

from types import SimpleNamespace

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hiprom.report import charts
from hiprom.report.figures import summary


def test_bars_and_time_chart_are_svg(fixture_analysis: dict) -> None:
    bars = charts.side_bars(summary(fixture_analysis))
    time = charts.angle_over_time(fixture_analysis)
    for svg in (bars, time):
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "</svg>" in svg
    assert charts.SIDE_COLORS["left"] in bars and charts.SIDE_COLORS["right"] in time


def test_nothing_to_draw_gives_none(fixture_analysis: dict) -> None:
    fixture_analysis["series"] = {"t_s": [0.0]}
    assert charts.angle_over_time(fixture_analysis) is None
    assert charts.trend([], None) is None


def test_unmeasurable_values_do_not_break_the_charts(fixture_analysis: dict) -> None:
    series = fixture_analysis["series"]
    series["right_deg"] = [None] * len(series["t_s"])
    series.pop("right_unc_deg")
    for key in list(fixture_analysis["sides"]["right"]):
        fixture_analysis["sides"]["right"][key] = None
    assert "<svg" in charts.side_bars(summary(fixture_analysis))
    assert "<svg" in charts.angle_over_time(fixture_analysis)


def test_the_45_degree_lines_are_called_the_reference_as_in_the_table(fixture_analysis: dict) -> None:
    # The table, its note, the caption and the bar chart say "reference 45°"; the time chart said "norm".
    time = charts.angle_over_time(fixture_analysis)
    assert "internal reference" in time and "external reference" in time
    assert "norm" not in time.replace("normal", "")


def _visits(n: int) -> list[SimpleNamespace]:
    """``n`` monthly visits with summary figures, as the store's session records give them."""
    return [SimpleNamespace(id=i + 1, recorded_utc=f"{2024 + i // 12}-{i % 12 + 1:02d}-15T09:30:00Z",
                            **{f"{side}_{key}_deg": 30.0 + (i % 4) * 5 + (side == "right") * 6
                               for side in ("left", "right") for key in ("ir", "er", "arc")})
            for i in range(n)]


def _covers_a_plot(fig: Figure) -> bool:
    """Whether a legend overlaps any plotting area (where the bars, their figures and the lines are)."""
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    assert legends
    return any(leg.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer))
               for leg in legends for ax in fig.axes)


def test_no_legend_covers_a_bar_its_figure_or_a_trend_line(fixture_analysis: dict) -> None:
    # A right IR of 52.4° printed its "52.4°" under the legend's "Reference 45°"; with 20 visits the
    # trend's "Right" legend sat on the right side's line.
    right = fixture_analysis["sides"]["right"]
    right["internal_rotation_deg"], right["total_arc_deg"] = 52.4, 110.0
    assert not _covers_a_plot(charts.side_bars_figure(summary(fixture_analysis)))
    assert not _covers_a_plot(charts.trend_figure(_visits(20), 20))


def test_trend_dates_are_the_full_days_the_table_prints() -> None:
    # "24-11-15" reads as 24 November 2015 in much of the world; the table beside says 2024-11-15.
    fig = charts.trend_figure(_visits(20), 20)
    ticks = [label.get_text() for label in fig.axes[0].get_xticklabels()]
    assert ticks[0] == "2024-11-15" and ticks[-1] == "2025-08-15" and len(ticks) == charts.MAX_TREND_SESSIONS


def test_the_legend_keeps_each_sides_colour_when_a_side_was_not_measured(fixture_analysis: dict) -> None:
    # The legend's "Right" swatch was taken from the right's bar: grey, when that side was not measured.
    for key in list(fixture_analysis["sides"]["right"]):
        fixture_analysis["sides"]["right"][key] = None
    legend = charts.side_bars_figure(summary(fixture_analysis)).legends[0]
    swatches = {text.get_text(): to_hex(handle.get_facecolor())
                for text, handle in zip(legend.get_texts(), legend.legend_handles)
                if text.get_text() in ("Left", "Right")}
    assert swatches["Left"] == charts.SIDE_COLORS["left"] and swatches["Right"] == charts.SIDE_COLORS["right"]
