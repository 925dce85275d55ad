"""Charts: SVG documents, or None when there is nothing to draw."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from hiprom.report import charts
from hiprom.report.figures import summary
from hiprom.report.pdf import SMALL_PT


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


def _ticks(fig: Figure) -> list[tuple[float, str]]:
    """The date ticks drawn under the first panel: (position, label), those inside its view only."""
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    return [(t, label.get_text()) for t, label in zip(ax.get_xticks(), ax.get_xticklabels()) if lo <= t <= hi]


def _spread(fig: Figure) -> tuple[float, ...]:
    """Where the first panel's left-side points stand, in days."""
    return tuple(fig.axes[0].get_lines()[0].get_xdata())


def test_trend_places_visits_by_date_not_evenly() -> None:
    # Visits a week apart and a year apart stood an equal step apart: a year's change looked like a week's.
    visits = _visits(3)
    for v, when in zip(visits, ("2025-01-06T09:00:00Z", "2025-01-13T09:00:00Z", "2026-01-13T09:00:00Z")):
        v.recorded_utc = when
    a, b, c = _spread(charts.trend_figure(visits, 3))
    assert b - a == pytest.approx(7.0) and c - b == pytest.approx(365.0)


def _uneven(n: int) -> list[SimpleNamespace]:
    """``n`` visits unevenly apart, as a clinic's are: twice the same morning, a week, a year, three days, ..."""
    gaps = (0.0, 0.02, 7.0, 365.0, 3.0, 30.0, 1.0, 90.0, 14.0, 0.5)
    visits, when = _visits(n), datetime(2025, 1, 6, 9, 0)
    for i, visit in enumerate(visits):
        when += timedelta(days=gaps[i % len(gaps)]) if i else timedelta(0)
        visit.recorded_utc = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return visits


@pytest.mark.parametrize(("n", "same_day"), [(40, True), (2, True), (20, False)])
def test_trend_dates_are_readable_with_many_visits_or_two_on_one_day(n: int, same_day: bool) -> None:
    # "24-11-15" reads as 24 November 2015 in much of the world; the table beside says 2024-11-15.
    visits = _visits(n)
    if same_day:  # the last test repeated 20 minutes later
        visits[-1].recorded_utc = visits[-2].recorded_utc.replace("09:30", "09:50")
    fig = charts.trend_figure(visits, n)
    assert not _covers_a_plot(fig)
    ticks = _ticks(fig)
    assert 1 <= len(ticks) <= 5, ticks
    assert all(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", label) for _, label in ticks), ticks
    xs = _spread(fig)
    assert len(xs) == n and all(b >= a for a, b in zip(xs, xs[1:]))  # every visit drawn, in time order
    if n == 2:  # two visits of one day: the day itself under them, not an axis of minutes
        assert [label for _, label in ticks] == [visits[0].recorded_utc[:10]]


@pytest.mark.parametrize("n", [2, 5, 12, 40])
def test_trend_dates_are_printed_at_9_pt_and_never_overlap(n: int) -> None:
    # The dates were 5.5 pt (the PDF's text is 9 pt and more), slanted, so that three fitted a panel;
    # at 9 pt the same ticks ran into each other for some spacings of visits.
    fig = charts.trend_figure(_uneven(n), n)
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    labels = [label for ax in fig.axes for label in ax.get_xticklabels() if label.get_text()]
    assert len(labels) >= 3  # one date at least under each panel
    assert min(label.get_fontsize() for label in labels) >= SMALL_PT
    assert all(label.get_rotation() == 0 for label in labels)  # level, as a table's dates
    boxes = sorted((label.get_window_extent() for label in labels), key=lambda b: b.x0)
    gap_px = 4 * fig.dpi / 72  # 4 pt apart at least, within a panel and from the next panel's
    assert all(b.x0 - a.x1 >= gap_px for a, b in zip(boxes, boxes[1:])), [label.get_text() for label in labels]


def _clear_of_the_curves(fig: Figure, words: str) -> bool:
    """Whether the reference label ``words`` stands clear (1 pt) of every curve, band and peak drawn."""
    FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    ax = fig.axes[0]
    label = next(t for t in ax.texts if t.get_text() == words)
    box = label.get_window_extent().padded(fig.dpi / 72)
    points = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines()
              if len(line.get_xdata()) > 2 or line.get_linestyle() == "None"]
    points += [band.get_transform().transform(path.vertices) for band in ax.collections[1:]
               for path in band.get_paths()]
    return not any(box.contains(x, y) for xy in points for x, y in xy if np.isfinite([x, y]).all())


def test_the_reference_labels_stand_where_no_curve_is(fixture_analysis: dict) -> None:
    # "+45° internal reference" was written at the right end of its line, over whatever the curves did
    # there: a test ending in a strong rotation had its last seconds printed over by the label.
    series = fixture_analysis["series"]
    tail = len(series["t_s"]) // 5
    series["left_deg"][-tail:] = [50.0] * tail  # the last trials reach past the reference, on both lines
    series["right_deg"][-tail:] = [-52.0] * tail
    fig = charts.angle_over_time_figure(fixture_analysis)
    for words in ("+45° internal reference", "−45° external reference"):
        assert _clear_of_the_curves(fig, words), words


def test_a_bar_figure_the_reference_crosses_is_set_on_white(fixture_analysis: dict) -> None:
    # "37.9°" was struck through by the dashed 45° line drawn across it.
    fixture_analysis["sides"]["right"]["internal_rotation_deg"] = 38.2
    texts = {t.get_text(): t for ax in charts.side_bars_figure(summary(fixture_analysis)).axes for t in ax.texts}
    assert texts["38.2°"].get_bbox_patch() is not None and texts["38.2°"].get_zorder() > 2
    assert texts["32.1°"].get_bbox_patch() is None  # one the line does not cross keeps the bands behind it


def test_the_legend_keeps_each_sides_colour_when_a_side_was_not_measured(fixture_analysis: dict) -> None:
    # The legend's "Right" swatch was taken from the right's bar: grey, when that side was not measured.
    for key in list(fixture_analysis["sides"]["right"]):
        fixture_analysis["sides"]["right"][key] = None
    legend = charts.side_bars_figure(summary(fixture_analysis)).legends[0]
    swatches = {text.get_text(): to_hex(handle.get_facecolor())
                for text, handle in zip(legend.get_texts(), legend.legend_handles)
                if text.get_text() in ("Left", "Right")}
    assert swatches["Left"] == charts.SIDE_COLORS["left"] and swatches["Right"] == charts.SIDE_COLORS["right"]


def _grey(fig: Figure) -> np.ndarray:
    """The figure as printed in black and white: luminance (h, w), 0-255, rows from the top."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[..., :3].astype(float)
    return rgb @ np.array([0.299, 0.587, 0.114])


def test_left_and_right_and_the_trials_that_did_not_count_stay_apart_in_black_and_white(
        fixture_analysis: dict) -> None:
    """Printed or photocopied in black and white, left's blue and right's orange were two near greys (84 and
    109 of 255) with nothing else to tell them apart: the bars, the curves and the history's lines, and the
    orange stripes of trials that did not count were white. Right's bars are now hatched, its curves dashed,
    its visits square; the stripes of trials that did not count hatched."""
    fig = charts.side_bars_figure(summary(fixture_analysis))
    grey = _grey(fig)
    height = grey.shape[0]
    spread = {}
    for ax in fig.axes:
        for bar in ax.patches:
            box = bar.get_window_extent()
            if box.width < 4 or box.height < 8:
                continue
            inside = grey[int(height - box.y1) + 3:int(height - box.y0) - 3, int(box.x0) + 3:int(box.x1) - 3]
            side = "left" if to_hex(bar.get_facecolor()) == charts.SIDE_COLORS["left"] else "right"
            spread.setdefault(side, []).append(float(inside.std()))
    assert len(spread["left"]) == len(spread["right"]) == 3
    assert max(spread["left"]) < 5 < 30 < min(spread["right"])  # plain, and patterned: told apart without hue

    def styles(fig: Figure) -> dict[str, set]:
        return {line.get_label(): {(str(line.get_linestyle()), line.get_marker())}
                for ax in fig.axes for line in ax.get_lines() if line.get_label() in ("Left", "Right")}

    time = charts.angle_over_time_figure({**fixture_analysis, "trials": [
        {**t, "valid": i != 0} for i, t in enumerate(fixture_analysis["trials"])]})
    for drawn in (time, charts.trend_figure(_visits(3), 3)):
        found = styles(drawn)
        assert found["Left"] != found["Right"] and not found["Left"] & found["Right"]
    stripes = [c for c in time.axes[0].collections if c.get_hatch()]
    assert len(stripes) == 1  # the trials that did not count; those that did are plain grey
