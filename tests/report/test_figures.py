"""Rounding: one function rounds every figure the PDF, the CSV and the JSON show."""

from __future__ import annotations

import json
import math

import pytest

from hiprom.report.figures import fmt, rnd, rounded, summary, summary_row
from hiprom.rounding import shown
from tests.conftest import ANALYSIS_FIXTURE


@pytest.mark.parametrize(
    ("value", "rounded_", "text"),
    [
        (32.1, 32.1, "32.1"),
        (32.149, 32.1, "32.1"),
        (2.467, 2.5, "2.5"),
        (-6.06, -6.1, "−6.1"),  # the minus sign U+2212 in text for people; the CSV keeps the number -6.1
        (-0.04, 0.0, "0.0"),
        (45, 45.0, "45.0"),
        (None, None, "—"),
        (math.nan, None, "—"),
        ("n/a", None, "—"),
        (True, None, "—"),
    ],
)
def test_rounding_and_text(value, rounded_, text) -> None:
    assert rnd(value) == rounded_
    assert fmt(value) == text


@pytest.mark.parametrize(("value", "signed", "text"), [
    (6.26, True, "+6.3"), (-4.06, True, "−4.1"), (-0.04, True, "0.0"), (0.04, True, "0.0"), (3.0, False, "3.0"),
    (-3.0, False, "−3.0"), (None, True, None),
])
def test_one_text_of_a_figure_for_people(value, signed, text) -> None:
    """The page wrote "−4.1°", the PDF, the CLI and the sentences "-4.1°": one rule now, the minus sign."""
    assert shown(value, signed=signed) == text


def test_rounded_keeps_counts_and_text_and_lists_missing_fields() -> None:
    out = rounded({"a_deg": 1.26, "n": 2, "flags": ["pelvis_hike"], "extra": 0.333}, ("a_deg", "missing"))
    assert out == {"a_deg": 1.3, "missing": None, "n": 2, "flags": ["pelvis_hike"], "extra": 0.3}
    assert list(out) == ["a_deg", "missing", "n", "flags", "extra"]


def test_summary_of_the_formats_fixture(fixture_analysis: dict) -> None:
    s = summary(fixture_analysis)
    assert s["norm_deg"] == 45.0 and s["arc_norm_deg"] == 90.0 and s["asymmetry_threshold_deg"] == 10.0
    assert s["bands"] == {"internal": [30.0, 40.0], "external": [40.0, 60.0], "total_arc": [70.0, 100.0]}
    assert s["mdc_deg"] == [6.0, 9.0]
    assert s["sides"]["left"]["internal_rotation_deg"] == 32.1
    assert s["asymmetry"]["total_arc_deg"] == -8.5 and s["asymmetry"]["flagged"] is False
    assert len(s["trials"]) == len(fixture_analysis["trials"])


def test_summary_of_a_real_analysis_matches_its_figures(analysis: dict) -> None:
    s = summary(analysis)
    for side in ("left", "right"):
        for key, value in analysis["sides"][side].items():
            if isinstance(value, float):
                assert s["sides"][side][key] == round(value, 1)


def test_an_analysis_saved_before_verdicts_reads_alike_in_its_table_sentences_and_answer(
        fixture_analysis: dict) -> None:
    """A session saved before three-way and band verdicts existed (as tests/store/data/analysis.json is):
    its asymmetry table said "within" for each measure while the PDF's box said "Your two hips could not be
    compared", its CSV had no verdicts, and "Left internal rotation: not measured." stood beside 32.1°. All
    now read its verdicts by the one rule (assessment.summary.judged_asymmetry), its bands placed now.
    Judged by its flag on the 10° line alone it read "within" for IR -6.1° ± 2.5° and the arc -8.5° ± 3.5°,
    whose 95% ranges reach 11.0° and 15.4°: by today's rule (difference_verdict) neither can be told."""
    from hiprom.assessment.wording import explain
    from hiprom.report.rows import measure_rows

    assert "verdicts" not in fixture_analysis["asymmetry"] and not fixture_analysis["asymmetry"]["flagged"]
    fig = summary(fixture_analysis)
    rows = measure_rows(fig)
    assert [r["verdict_words"] for r in rows] == ["? cannot tell", "within", "? cannot tell"]
    assert rows[1]["sentence"].split(": ", 1)[1] == "the sides differ by less than 10°."
    assert fig["overall"]["kind"] == "inconclusive" and fig["overall"]["sentence"].startswith("We cannot tell")
    assert summary_row(fixture_analysis)["asymmetry_total_arc_verdict"] == "inconclusive"
    assert "could be as much as 15.4°" in fig["undecided"]
    bands = explain(fixture_analysis)["bands"]
    said = [bands[side][d] for side in ("left", "right") for d in ("internal", "external")]
    assert not any("not measured" in s for s in said), said
    # Its quality notes ("left: pelvis hike during 1 trial") read as the sentences a new one saves.
    assert summary_row(fixture_analysis)["quality_notes"] == (
        "Left leg: hip lifted off the seat in 1 trial, which did not count. Right leg: leg out of frame in 2 frames. "
        "Left/right comparison of internal rotation and total arc worked out again with today's rule, which "
        "allows for the ± of each side; hiprom 0.1.0 said: within.")
    assert fixture_analysis["asymmetry"] == json.loads(ANALYSIS_FIXTURE.read_text(encoding="utf-8"))["asymmetry"]


def test_the_summary_row_says_where_the_camera_stood_and_what_to_move(fixture_analysis) -> None:
    """A study sets apart the recordings made from outside the range where accuracy was checked: the PDF
    said where the camera stood and what to move, but the summary CSVs (a batch's, the clinic's) had no
    camera at all, so a video filmed from 35° to the side read like one filmed straight on."""
    oblique = {**fixture_analysis, "camera": {"yaw_deg": 35.04, "height_m": 1.104, "distance_m": 2.216}}
    row = summary_row(oblique)
    assert (row["camera_yaw_deg"], row["camera_height_m"], row["camera_distance_m"]) == (35.0, 1.1, 2.22)
    assert row["camera_advice"] == summary(oblique)["camera_advice"][0]
    assert row["camera_advice"].startswith("The camera is off to your right")
    square = summary_row({**fixture_analysis, "camera": {"yaw_deg": -4.0, "height_m": 1.0, "distance_m": 2.0}})
    assert (square["camera_yaw_deg"], square["camera_advice"]) == (-4.0, "")
    unknown = summary_row(fixture_analysis)  # saved without an estimate (hiprom 0.1): empty cells
    assert [unknown[k] for k in ("camera_yaw_deg", "camera_height_m", "camera_distance_m", "camera_advice")] == [
        None, None, None, ""]
