"""Charts: SVG documents, or None when there is nothing to draw."""

from __future__ import annotations

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
