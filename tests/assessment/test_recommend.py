"""Suggestions from a result: below-band directions and the smaller side of an asymmetry that exceeds."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from hiprom.assessment import assess, load_catalogue, recommend
from hiprom.assessment.recommend import MOST, PER_FINDING, findings
from hiprom.kinematics import measure
from hiprom.synthetic import Trial, protocol, seated_recording

IN_BAND = (
    Trial("right", "internal", 35.0),
    Trial("right", "external", 47.0),
    Trial("left", "internal", 34.0),
    Trial("left", "external", 45.0),
)


def _analyse(trials) -> dict:
    _, rot = protocol(list(trials), fps=30.0)
    rec = seated_recording(rot, fps=30.0, image_noise_px=0.6, world_noise_m=0.002, seed=5)
    return assess(measure(rec), fps=30.0)


@pytest.fixture(scope="module")
def in_band() -> dict:
    return _analyse(IN_BAND)


@pytest.fixture(scope="module")
def limited_left_ir() -> dict:
    trials = [t if (t.side, t.direction) != ("left", "internal") else Trial("left", "internal", 24.0) for t in IN_BAND]
    return _analyse(trials)


def test_everything_in_band_suggests_nothing(in_band: dict) -> None:
    assert in_band["measurable"] and not in_band["asymmetry"]["flagged"]
    assert in_band["recommendations"] == []


def test_limited_left_internal_rotation_suggests_left_internal_exercises(limited_left_ir: dict) -> None:
    recs = limited_left_ir["recommendations"]
    catalogue = load_catalogue()
    assert recs and all(r["direction"] == "internal" and r["side"] in ("left", "both") for r in recs)
    # The catalogue's first three for the direction: a program a person keeps up (a clinician may add more).
    assert [r["exercise"] for r in recs] == [ex.id for ex in catalogue.targeting("internal")][:PER_FINDING]
    chair = next(r for r in recs if r["exercise"] == "chair_rotation_internal")
    assert chair["side"] == "left"
    # 24 deg is below the 30-40 band; 11 deg less than the right side is named only
    # when the left/right verdict, which weighs the uncertainty, says it exceeds 10 deg.
    assert chair["reason"].startswith("left internal rotation 23.8°, below the 30–40° band")
    exceeds = limited_left_ir["asymmetry"]["verdicts"]["internal_rotation"] == "exceeds"
    assert ("less than the right side" in chair["reason"]) == exceeds
    assert set(chair) == {"exercise", "side", "direction", "reason"}


def _result(left_ir: float, right_ir: float, verdicts: dict | None = None, flagged: list | None = None) -> dict:
    side = {"internal_rotation_deg": None, "external_rotation_deg": 50.0, "internal_rotation_confirmed": True}
    result = {
        "measurable": True,
        "norms": {"bands": {"internal": [30.0, 40.0], "external": [40.0, 60.0]}},
        "sides": {"left": {**side, "internal_rotation_deg": left_ir}, "right": {**side, "internal_rotation_deg": right_ir}},
        "asymmetry": {"internal_rotation_deg": left_ir - right_ir, "external_rotation_deg": 0.0, "total_arc_deg": None,
                      "flagged_measures": flagged or []},
    }
    if verdicts is not None:
        result["asymmetry"]["verdicts"] = verdicts
    return result


@pytest.mark.parametrize(
    ("left", "right", "verdicts", "flagged", "expected"),
    [
        # Both in band, the difference exceeds: the smaller side (left) gets internal exercises.
        (31.0, 39.0, {"internal_rotation": "exceeds"}, None, {("left", "internal")}),
        # Without three-way verdicts (saved by hiprom 0.1): worked out again from the figures by today's rule,
        # as the report does, so 8° flagged on the 10° line suggests nothing, 18° does.
        (31.0, 39.0, None, ["internal_rotation"], set()),
        (31.0, 49.0, None, ["internal_rotation"], {("left", "internal")}),
        # Inconclusive or within: nothing, even when flagged_measures (an older field) says otherwise.
        (31.0, 39.0, {"internal_rotation": "inconclusive"}, ["internal_rotation"], set()),
        (38.0, 32.0, {"internal_rotation": "within"}, None, set()),
        # Right smaller: the right side.
        (39.0, 31.0, {"internal_rotation": "exceeds"}, None, {("right", "internal")}),
        # Both sides below the band: both.
        (20.0, 25.0, {"internal_rotation": "within"}, None, {("left", "internal"), ("right", "internal")}),
    ],
)
def test_suggestion_rules(left, right, verdicts, flagged, expected) -> None:
    recs = recommend(_result(left, right, verdicts, flagged))
    assert {(r["side"], r["direction"]) for r in recs if r["side"] != "both"} == expected


def test_a_total_arc_asymmetry_is_named_total_arc_as_everywhere() -> None:
    result = _result(31.0, 39.0, {"internal_rotation": "within", "total_arc": "exceeds"})
    result["sides"]["left"]["total_arc_deg"], result["sides"]["right"]["total_arc_deg"] = 81.0, 93.0
    result["asymmetry"]["total_arc_deg"] = -12.0
    reasons = {r["reason"] for r in recommend(result) if r["side"] == "left"}
    assert reasons == {"left total arc 81.0°, 12.0° less than the right side"}


def test_not_measurable_suggests_nothing() -> None:
    result = _result(10.0, 10.0)
    result["measurable"] = False
    assert recommend(result) == []


def test_a_both_legs_exercise_is_suggested_once(limited_left_ir: dict) -> None:
    result = copy.deepcopy(limited_left_ir)
    result["sides"]["right"]["internal_rotation_deg"] = 20.0
    recs = recommend(result)
    knees = [r for r in recs if r["exercise"] == "knee_to_knee"]
    assert len(knees) == 1 and knees[0]["side"] == "both"
    assert "left internal" in knees[0]["reason"] and "right internal" in knees[0]["reason"]


def test_a_stiff_pair_of_hips_gets_a_program_that_fits_its_page() -> None:
    """Every direction limited on both sides (a stiff older person): two exercises each, none twice for a side."""
    result = _result(20.0, 22.0, {"internal_rotation": "within"})
    for side in ("left", "right"):
        result["sides"][side]["external_rotation_deg"] = 25.0
    recs = recommend(result)
    assert len(recs) == MOST == 8
    catalogue = load_catalogue()
    for side in ("left", "right"):
        for direction in ("internal", "external"):
            mine = [r["exercise"] for r in recs if r["side"] in (side, "both") and r["direction"] == direction]
            assert mine == [ex.id for ex in catalogue.targeting(direction)][:2], (side, direction)
    assert len({(r["exercise"], r["side"]) for r in recs}) == len(recs)


def test_an_exercise_for_both_directions_is_suggested_once_per_side() -> None:
    """knee_fall_out turns the hip both ways: a side limited both ways gets it once, with both reasons."""
    catalogue = load_catalogue()
    both_ways = next(ex for ex in catalogue.exercises if set(ex.targets) == {"internal", "external"})
    result = _result(20.0, 35.0, {"internal_rotation": "within"})
    result["sides"]["left"]["external_rotation_deg"] = 25.0
    first = dataclasses.replace(catalogue, exercises=(both_ways, *(ex for ex in catalogue.exercises if ex != both_ways)))
    recs = recommend(result, first)  # the clinic lists it first: within both findings' three
    mine = [r for r in recs if r["exercise"] == both_ways.id]
    assert len(mine) == 1 and "internal rotation 20.0°" in mine[0]["reason"] and "external rotation 25.0°" in mine[0]["reason"]


def test_a_figure_whose_band_verdict_cannot_tell_is_possibly_below_in_its_reason_and_the_verdict() -> None:
    """The page's table said "cannot tell" under left internal rotation 29.8° ± 1.8° (its 95 % interval reaches
    into the 30–40° band), and the suggestion beside it "Why: left internal rotation 29.8°, below the 30–40°
    band", as did the one-line verdict: one figure, two readings. A figure whose band verdict is decided stays
    "below"."""
    from hiprom.assessment.verdict import verdict

    result = _result(29.8, 35.0, verdicts={"internal_rotation": "within"})
    result["sides"]["left"]["internal_rotation_band"] = "inconclusive"
    result["sides"]["right"]["external_rotation_deg"] = 38.0
    result["sides"]["right"]["external_rotation_band"] = "below"
    result["asymmetry"]["threshold_deg"] = 10.0
    reasons = {(f["side"], f["direction"]): f["reason"] for f in findings(result)}
    assert reasons[("left", "internal")] == "left internal rotation 29.8°, possibly below the 30–40° band"
    assert reasons[("right", "external")] == "right external rotation 38.0°, below the 40–60° band"
    said = verdict({**result, "trials": []})
    assert ("; below the normal band: right external rotation 38.0°; "
            "possibly below the normal band: left internal rotation 29.8°.") in said, said
