"""The results message the page's table is drawn from."""

from __future__ import annotations

from hiprom.assessment.wording import explain
from hiprom.live.messages import results_summary


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
