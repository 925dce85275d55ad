"""The re-test: a change counts only beyond the MDC and the pair's own 95 % error."""

from __future__ import annotations

import copy

import pytest

from hiprom.assessment import compare, trend
from hiprom.assessment.retest import DECREASED, IMPROVED, NO_CHANGE


def _result(ir: float, unc: float = 1.5) -> dict:
    side = {"internal_rotation_deg": ir, "internal_rotation_unc_deg": unc,
            "external_rotation_deg": 40.0, "external_rotation_unc_deg": unc,
            "total_arc_deg": ir + 40.0, "total_arc_unc_deg": unc * 2 ** 0.5}
    return {"sides": {"left": dict(side), "right": dict(side)}, "norms": {"mdc_deg": [6.0, 9.0]}}


def _row(table: dict, side: str, measure: str) -> dict:
    return next(r for r in table["rows"] if r["side"] == side and r["measure"] == measure)


@pytest.mark.parametrize(
    ("before", "after", "unc", "verdict"),
    [
        (24.0, 34.0, 1.5, IMPROVED),  # +10 > MDC 6 and > 1.96 * 2.1
        (24.0, 29.0, 1.5, NO_CHANGE),  # +5: inside the MDC
        (34.0, 24.0, 1.5, DECREASED),
        (24.0, 34.0, 4.0, NO_CHANGE),  # +10 but the pair's own error (1.96 * 5.7 = 11.1) is larger
        (24.0, 36.0, 4.0, IMPROVED),
    ],
)
def test_change_verdicts(before: float, after: float, unc: float, verdict: str) -> None:
    table = compare(_result(before, unc), _result(after, unc))
    row = _row(table, "left", "internal_rotation")
    assert row["verdict"] == verdict and row["change_deg"] == after - before
    assert row["limit_deg"] == pytest.approx(max(6.0, 1.96 * (2 * unc**2) ** 0.5), abs=0.05)
    assert _row(table, "left", "external_rotation")["verdict"] == NO_CHANGE
    assert table["mdc_deg"]["left_internal"] == 6.0 and "published" in table["mdc_source"]
    assert _row(table, "left", "total_arc")["mdc_deg"] == pytest.approx(8.5, abs=0.05)  # sqrt(6^2 + 6^2)


def test_a_clinic_mdc_is_used_and_named() -> None:
    table = compare(_result(24.0), _result(33.0), mdc_deg={"left_internal": 10.0, "right_internal": 4.0},
                    mdc_source="clinic re-test, n=24")
    assert _row(table, "left", "internal_rotation")["verdict"] == NO_CHANGE  # +9 within the clinic's 10
    assert _row(table, "right", "internal_rotation")["verdict"] == IMPROVED
    assert table["mdc_source"] == "clinic re-test, n=24"
    assert table["summary"].startswith("Improved: right internal rotation (+9.0°)")


def test_the_sentence_names_every_change_the_table_marks() -> None:
    """+5 and +5.5 stay within the 6 deg MDC of each direction, but +10.5 exceeds the arc's 8.5."""
    before, after = _result(24.0), _result(29.0)
    for side in ("left", "right"):
        after["sides"][side]["external_rotation_deg"] = 45.5
        after["sides"][side]["total_arc_deg"] = 29.0 + 45.5
    table = compare(before, after)
    assert _row(table, "left", "total_arc")["verdict"] == IMPROVED
    # The table's +10.5, not "+10°" (a sentence rounded on its own, half to even).
    assert table["summary"] == ("Improved: left total arc (+10.5°), right total arc (+10.5°). "
                                "Other changes are within the measurement error.")


def test_a_figure_missing_on_one_test_has_no_verdict() -> None:
    after = _result(30.0)
    after["sides"]["right"]["internal_rotation_deg"] = None
    row = _row(compare(_result(24.0), after), "right", "internal_rotation")
    assert row["verdict"] is None and row["reason"] == "not measured after"


def _nothing() -> dict:
    nothing = copy.deepcopy(_result(0.0))
    for side in nothing["sides"].values():
        side.update({k: None for k in side})
    return nothing


@pytest.mark.parametrize(("before", "after", "said"), [
    (_nothing, lambda: _result(30.0), "Nothing to compare with: the earlier test measured nothing."),
    (lambda: _result(30.0), _nothing, "Nothing to compare: this test measured nothing."),
    (_nothing, _nothing, "Nothing to compare: neither test measured anything."),
])
def test_a_test_that_measured_nothing_is_said_in_one_sentence(before, after, said: str) -> None:
    # A baseline that measured nothing gave six rows of "not measured before" and "No figure was measured
    # both times; nothing to compare.": the page, the PDF and the CLI now say why, in its place.
    from hiprom.assessment.retest import compared

    table = compare(before(), after())
    assert table["summary"] == said and not compared(table["rows"])


def test_trend_lists_each_visit_with_its_program_and_change_since_the_first() -> None:
    program = {"items": [{"exercise": "chair_rotation_internal", "side": "left", "dose": {"hold_s": 3, "reps": 10, "sets": 2}}]}
    done = [{"exercise": "chair_rotation_internal", "side": "left", "direction": "internal", "reps_done": 8,
             "reps_target": 20, "reps": []}]
    visits = [
        {"session_id": 1, "recorded_utc": "2026-01-01T09:00:00Z", "analysis": _result(22.0), "program": program,
         "exercise_results": done},
        {"session_id": 2, "recorded_utc": "2026-02-01T09:00:00Z", "analysis": _result(27.0), "program": None,
         "exercise_results": []},
        {"session_id": 3, "recorded_utc": "2026-03-01T09:00:00Z", "analysis": copy.deepcopy(_result(33.0)),
         "program": program, "exercise_results": []},
    ]
    out = trend(visits)["visits"]
    assert [v["session_id"] for v in out] == [1, 2, 3]
    assert out[0]["since_first"] is None and out[0]["program"][0]["exercise"] == "chair_rotation_internal"
    assert out[0]["exercises_done"][0]["reps_done"] == 8
    assert out[1]["since_first"]["left"]["internal_rotation"] == NO_CHANGE
    assert out[2]["since_first"]["left"]["internal_rotation"] == IMPROVED
    assert out[2]["figures"]["left"]["internal_rotation"] == 33.0


def test_a_recording_analysed_again_is_no_visit_of_the_trend() -> None:
    """The first visit's video analysed again a month later by a newer hiprom (+0.3°) was a visit of its own,
    "no change since the first visit"; it is that visit's recording again, and says so."""
    video_a, video_b = "a" * 64, "b" * 64
    visits = [{"session_id": i, "recorded_utc": f"2026-0{month}-01T09:00:00Z",
               "analysis": {**_result(deg), "recording_sha256": fingerprint}}
              for i, (month, deg, fingerprint) in enumerate([(1, 22.0, video_a), (2, 22.3, video_a),
                                                             (3, 33.0, video_b)], start=1)]
    out = trend(visits)
    assert out["first_visit"] == 1
    assert [v["same_recording_as"] for v in out["visits"]] == [None, 1, None]
    assert out["visits"][1]["since_first"] is None
    assert out["visits"][2]["since_first"]["left"]["internal_rotation"] == IMPROVED
    # Analyses an older hiprom made carry no fingerprint: each is its own, as before.
    unknown = [{**v, "analysis": {**v["analysis"], "recording_sha256": None}} for v in visits]
    assert [v["same_recording_as"] for v in trend(unknown)["visits"]] == [None, None, None]


def test_a_first_test_that_measured_nothing_is_no_baseline_for_the_trend() -> None:
    # The first test of a subject failed (leg out of the picture) and was repeated the same day: every
    # later change was compared with nothing, so +11 deg two months on was marked as no change at all.
    nothing = copy.deepcopy(_result(0.0))
    for side in nothing["sides"].values():
        side.update({k: None for k in side})
    visits = [{"session_id": i, "recorded_utc": f"2026-0{month}-01T09:00:00Z", "analysis": a}
              for i, (month, a) in enumerate([(1, nothing), (1, _result(22.0)), (3, _result(33.0))], start=1)]
    out = trend(visits)
    assert out["first_visit"] == 2
    assert [v["since_first"] for v in out["visits"][:2]] == [None, None]
    assert out["visits"][2]["since_first"]["left"]["internal_rotation"] == IMPROVED
    assert trend(visits[:1])["first_visit"] is None and trend([])["first_visit"] is None
