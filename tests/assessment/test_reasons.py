"""Why something did not count, and what to do, said the same way everywhere and in words a patient understands."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.assessment import Norms, assess, verdict
from hiprom.assessment.reasons import REASON_ADVICE, REASON_WORDS, not_measurable_advice, reason_advice, reason_words
from hiprom.assessment.reps import RELEASED_EARLY, UNFINISHED
from hiprom.assessment.result import too_few_frames
from hiprom.assessment.trials import BELOW_MIN_EXCURSION, GAP_AT_PEAK, HOLD_TOO_SHORT, NO_PICTURES_AT_PEAK
from hiprom.kinematics import QualityFlag, flag_names

CODES = [*flag_names(int(sum(QualityFlag))), HOLD_TOO_SHORT, BELOW_MIN_EXCURSION, GAP_AT_PEAK, NO_PICTURES_AT_PEAK,
         RELEASED_EARLY, UNFINISHED]
"""Every code a trial, a rep or a reading can be refused or flagged with."""


@pytest.mark.parametrize("code", CODES)
def test_every_code_a_person_may_see_has_plain_words(code: str) -> None:
    words = REASON_WORDS[code]  # a flag added without words fails here
    assert "_" not in words and words != code.replace("_", " ")
    assert words == words.lower() or words[0].islower()  # fits after "not counted: "


def test_compensation_and_short_holds_say_what_to_do() -> None:
    for code in ("pelvis_hike", "trunk_lean", "knee_drift", HOLD_TOO_SHORT, BELOW_MIN_EXCURSION, RELEASED_EARLY,
                 "low_visibility", "leg_out_of_frame", "multiple_people"):
        assert REASON_ADVICE[code]
    assert reason_words(["pelvis_hike", "trunk_lean"]) == "hip lifted off the seat, body leaned sideways"
    assert reason_advice(["low_visibility", "leg_out_of_frame"]) == "keep both knees and feet in the picture"
    assert reason_words(["a_new_code"]) == "a new code"  # a newer version's code still reads as words


@pytest.mark.parametrize(
    "reason, advice",
    [
        ("no person found in any frame", "sitting on a chair facing the camera, in view from shoulders to feet"),
        (too_few_frames(3, 10, 0.1), "Film the whole test"),
        ("neither leg could be measured: left leg never visible; right leg never visible",
         "Keep both knees and feet in the picture"),
        ("left leg not in the seated test position in 80% of frames (knee not bent about 90° or thigh not toward "
         "the camera)", "knees bent about 90°"),
        ("right leg never measurable (leg seen unclearly)", "in good light"),
        ("left leg hard to see in 79% of frames (picture too dark or unclear): measurable in just 25 of 137 frames",
         "Add light"),
    ],
)
def test_a_recording_with_nothing_measurable_says_what_to_film_differently(reason: str, advice: str) -> None:
    said = not_measurable_advice(reason)
    assert advice in said
    assert said.count(".") == len(set(said.split(". ")))  # each piece of advice once
    assert not_measurable_advice(None) == ""


def test_a_result_explains_its_reasons_in_words(make_kin, noisy_protocol, full_test) -> None:
    t, angle = noisy_protocol(list(full_test), fps=30.0)
    flags = np.zeros(angle.shape, dtype=np.uint32)
    flags[:, :] = int(QualityFlag.PELVIS_HIKE)  # every trial hiked: none counts
    result = assess(make_kin(t, angle, flags), Norms())
    assert any("hip lifted off the seat in" in note for note in result["quality"]["notes"])
    assert not any("pelvis" in note or "_" in note for note in result["quality"]["notes"])


def test_a_side_with_no_trial_is_named_not_measured_not_passed_over() -> None:
    """Only the right leg moved: "no figure below the normal band" alone would read as "all fine"."""
    right = {"internal_rotation_deg": 38.0, "external_rotation_deg": 45.0, "not_measurable": None}
    left = {"internal_rotation_deg": None, "external_rotation_deg": None, "not_measurable": None}
    result = {"measurable": True, "sides": {"left": left, "right": right},
              "asymmetry": {"threshold_deg": 10.0, "verdicts": {}}, "trials": []}
    assert verdict(result) == ("Asymmetry not assessable (a figure is missing on one side); "
                               "no figure below the normal band; not measured: left internal rotation, left external rotation.")


def test_a_test_without_a_figure_says_why_and_what_to_do() -> None:
    empty = {"internal_rotation_deg": None, "external_rotation_deg": None, "not_measurable": None}
    result = {"measurable": True, "sides": {"left": empty, "right": empty}, "asymmetry": {"threshold_deg": 10.0},
              "trials": [{"valid": False, "reasons": [HOLD_TOO_SHORT]}] * 3 + [{"valid": False, "reasons": ["trunk_lean"]}]}
    said = verdict(result)
    assert said == ("No valid trial on either side: 4 did not count (most often: not held still long enough, "
                    "body leaned sideways). Next time, hold still until the count ends, and keep your body upright.")
    result["trials"] = []
    assert verdict(result).endswith("Turn each foot inward and outward as far as is comfortable, and hold it still "
                                    "for a moment.")
