"""The results message the page's table is drawn from."""

from __future__ import annotations

from hiprom.assessment.wording import explain
from hiprom.live.messages import Paused, parse_paused, results_summary


def test_the_results_table_gets_the_band_verdict_the_pdf_words():
    # 32.8 ± 1.8 lies inside 30-40°, but its ± reaches below 30: the PDF says "cannot tell whether it is below
    # the normal band"; the page, judging the bare figure, said "normal". It now gets the analysis's verdict,
    # and whether each figure came from a valid trial.
    left = {"internal_rotation_deg": 32.8, "internal_rotation_unc_deg": 1.8, "internal_rotation_band": "inconclusive",
            "external_rotation_deg": 27.0, "external_rotation_unc_deg": 1.8, "external_rotation_band": "below",
            "external_rotation_confirmed": False, "external_rotation_reason": "only trials that did not count"}
    analysis = {"measurable": True, "sides": {"left": left, "right": {}}, "asymmetry": {}, "trials": []}
    side = results_summary(analysis, "r1")["sides"]["left"]
    assert side["internal_rotation_band"] == "inconclusive" and side["external_rotation_band"] == "below"
    assert side["external_rotation_confirmed"] is False
    assert side["external_rotation_reason"] == "only trials that did not count"
    assert "cannot tell whether it is below" in explain(analysis)["bands"]["left"]["internal"]


def test_a_verdict_that_cannot_tell_says_why_in_the_same_words_on_the_page_and_in_the_pdf():
    """32.6° ± 1.9° inside 30–40° read "cannot tell" with nothing to say why: the verdicts allow for twice
    the ± (1.96 ×), the ± shown is one standard uncertainty. The why ("could be as low as 28.9°") comes with
    the page's results and stands in the PDF's sentence, with what the ± is."""
    left = {"internal_rotation_deg": 32.6, "internal_rotation_unc_deg": 1.9, "internal_rotation_band": "inconclusive",
            "external_rotation_deg": 45.0, "external_rotation_unc_deg": 1.0, "external_rotation_band": "within"}
    asym = {"threshold_deg": 10.0, "internal_rotation_deg": -8.0, "internal_rotation_unc_deg": 2.0,
            "verdicts": {"internal_rotation": "inconclusive", "external_rotation": "within", "total_arc": None}}
    analysis = {"measurable": True, "sides": {"left": left, "right": {}}, "asymmetry": asym, "trials": []}
    words = results_summary(analysis, "r1")["words"]
    assert words["cannot_tell"] == {"sides": {"left": {"internal_rotation": "could be as low as 28.9°"}},
                                    "asymmetry": {"internal_rotation": "could be as much as 11.9°"}}
    assert words["bands"]["left"]["internal"] == (
        "Left internal rotation: cannot tell whether it is below the normal band (30–40°): measured 32.6°, it could"
        " be as low as 28.9° with measurement error; repeat the test.")
    assert words["asymmetry"]["internal_rotation"] == (
        "Internal rotation: cannot tell whether the sides differ by more than 10° (measured 8.0°, and could be as"
        " much as 11.9° with measurement error); repeat the test.")
    assert words["plus_minus"].startswith("± is the standard uncertainty") and "twice it" in words["plus_minus"]


def test_a_pages_word_that_it_paused_is_read_with_its_cause_and_nothing_else():
    assert parse_paused('{"type": "paused", "why": "muted"}') == Paused("muted")
    assert parse_paused('{"type": "paused", "why": "hidden"}') == Paused("hidden")
    assert parse_paused('{"type": "paused", "why": "lost"}') == Paused("lost")  # the camera stopped (web/camera.js)
    assert parse_paused('{"type": "paused", "why": "busy"}') == Paused("busy")  # its computer fell behind
    for text in ('{"type": "paused", "why": "bored"}', '{"type": "paused"}', '{"type": "command", "why": "muted"}',
                 "paused", "[]"):
        assert parse_paused(text) is None, text
