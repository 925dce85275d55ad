"""Three-way verdicts (left/right, reference band) and the words the user reads for them."""

from __future__ import annotations

import re

import pytest

from hiprom.assessment import assess, wording
from hiprom.assessment.reasons import not_measurable_advice
from hiprom.assessment.summary import band_verdict, difference_verdict, overall_verdict
from hiprom.assessment.verdict import verdict
from hiprom.assessment.wording import (
    MEASURE_LABELS,
    NAMES,
    asymmetry_sentence,
    band_sentence,
    camera_advice,
    degrees_in_words,
    explain,
    no_trial_sentence,
    picture_advice,
    picture_note,
)
from hiprom.synthetic import Trial


@pytest.mark.parametrize(
    "diff, unc, expected",
    [
        (0.0, 2.0, "within"),  # 95 % interval -3.9..3.9
        (-5.0, 2.0, "within"),  # -8.9..-1.1
        (7.0, 2.0, "inconclusive"),  # 3.1..10.9 straddles 10
        (11.0, 2.0, "inconclusive"),  # true difference 9-12: the case the old verdict got wrong
        (15.0, 2.0, "exceeds"),  # 11.1..18.9
        (-15.0, 2.0, "exceeds"),
        (12.0, 0.0, "exceeds"),  # no uncertainty: the plain threshold
        (9.0, 0.0, "within"),
    ],
)
def test_difference_verdict_follows_the_95_percent_interval(diff, unc, expected):
    assert difference_verdict(diff, unc, 10.0) == expected


@pytest.mark.parametrize(
    "value, unc, expected",
    [(20.0, 2.0, "below"), (28.0, 2.0, "inconclusive"), (35.0, 2.0, "within"), (41.0, 2.0, "within"),
     (48.0, 2.0, "above")],
)
def test_band_verdict_against_the_ir_band(value, unc, expected):
    assert band_verdict(value, unc, (30.0, 40.0)) == expected


def test_only_exceeds_is_flagged_and_words_say_repeat(make_kin, noisy_protocol):
    # IR 10 deg apart (inconclusive at +-1.5 deg per side), ER 20 deg apart (exceeds).
    trials = [Trial("right", "internal", 40.0), Trial("right", "external", 45.0),
              Trial("left", "internal", 30.0), Trial("left", "external", 25.0)]
    t, angle = noisy_protocol(trials, fps=30.0, sd_deg=0.2)
    result = assess(make_kin(t, angle))
    asym = result["asymmetry"]
    assert asym["verdicts"]["internal_rotation"] == "inconclusive"
    assert asym["verdicts"]["external_rotation"] == "exceeds"
    assert asym["flagged_measures"] == ["external_rotation", "total_arc"]
    words = explain(result)
    assert re.search(r"cannot tell whether the sides differ by more than 10° \(measured 10\.1°, and could be as much"
                     r" as 1\d\.\d° with measurement error\); repeat the test\.$", words["asymmetry"]["internal_rotation"])
    assert "the right side turns 20.0° further" in words["asymmetry"]["external_rotation"]
    assert words["bands"]["left"]["external"] == "Left external rotation: below the normal band (40–60°)."
    assert "repeat the test" in result["verdict"]


def test_missing_side_cannot_be_compared():
    assert "cannot compare" in asymmetry_sentence("total_arc", None, None, 10.0)
    # A test that measured neither side said "one of them was not measured" of each measure.
    from hiprom.assessment.result import not_measurable

    said = explain(not_measurable("no person found in any frame"))["asymmetry"]
    assert said["internal_rotation"] == "Internal rotation: cannot compare the sides, neither was measured."
    assert band_sentence("left", "internal", None, (30.0, 40.0)) == "Left internal rotation: not measured."


@pytest.mark.parametrize(
    "camera, expected",
    [
        ((0.0, 0.8, 2.2), []),
        ((20.0, 1.2, 2.0), []),
        ((35.0, 0.8, 2.2), ["move the laptop round to straight in front of you"]),
        ((-35.0, 0.8, 2.2), ["off to your left"]),
        ((0.0, 0.05, 2.2), ["raise the camera"]),
        ((0.0, 1.8, 2.2), ["lower the camera"]),
        ((0.0, 0.8, 1.0), ["move the chair back"]),
        ((None, None, None), []),
        ((float("nan"), 0.8, 2.2), []),
    ],
)
def test_camera_advice_says_what_to_move(camera, expected):
    advice = camera_advice(*camera)
    assert len(advice) == len(expected)
    for text, words in zip(advice, expected):
        assert words in text


@pytest.mark.parametrize("size_wh, noted", [((320, 240), True), ((400, 300), True), ((640, 360), True),
                                             ((640, 480), False), ((1280, 720), False), ((480, 640), False)])
def test_only_pictures_smaller_than_640_by_480_get_a_note(size_wh, noted):
    note = picture_note(size_wh)
    assert (note is not None) is noted
    if noted:
        assert f"({size_wh[0]}×{size_wh[1]})" in note and "less certain" in note
    advice = picture_advice(size_wh)  # what the live set-up step says, for the same pictures
    assert (advice is not None) is noted
    if noted:
        assert f"small picture ({size_wh[0]}×{size_wh[1]})" in advice and "the test goes on" in advice


@pytest.mark.parametrize("measure", ["internal_rotation", "external_rotation", "total_arc"])
def test_sentences_name_each_measure_as_the_tables_do(measure: str) -> None:
    """A sentence said "Inward turning (IR): cannot tell ..." under a table row headed "Internal
    rotation" (page, PDF, CLI): one name per measure now, the tables' (the arc's row adds "(IR + ER)")."""
    from hiprom.report.figures import summary
    from hiprom.report.rows import measure_rows

    name = NAMES[measure][0].upper() + NAMES[measure][1:]
    assert MEASURE_LABELS[measure] == name + (" (IR + ER)" if measure == "total_arc" else "")
    assert asymmetry_sentence(measure, "inconclusive", 5.0, 10.0).startswith(f"{name}: cannot tell")
    assert asymmetry_sentence(measure, None, None, 10.0).startswith(f"{name}: cannot compare")
    if measure != "total_arc":
        direction = measure.split("_")[0]
        assert band_sentence("right", direction, None, (30.0, 40.0)) == f"Right {NAMES[measure]}: not measured."
    asym = {"verdicts": {measure: "exceeds"}, f"{measure}_deg": -12.0, "threshold_deg": 10.0}
    result = {"asymmetry": asym, "sides": {}}
    row = next(r for r in measure_rows(summary(result)) if r["key"] == measure)
    assert row["label"] == MEASURE_LABELS[measure] and row["sentence"].startswith(f"{name}: the sides differ")
    assert "turning" not in " ".join(explain(result)["asymmetry"].values())


@pytest.mark.parametrize(("verdicts", "overall"), [
    ({"internal_rotation": "within", "external_rotation": "exceeds", "total_arc": "inconclusive"}, "exceeds"),
    ({"internal_rotation": "within", "external_rotation": "inconclusive", "total_arc": "within"}, "inconclusive"),
    ({"internal_rotation": "within", "external_rotation": None, "total_arc": None}, "within"),
    ({"internal_rotation": None, "external_rotation": None, "total_arc": None}, None),
    ({}, None),
])
def test_a_tests_verdict_is_its_worst_measure(verdicts: dict, overall: str | None) -> None:
    """What a list of sessions shows: flagged beats cannot tell beats within; nothing compared, nothing."""
    assert overall_verdict(verdicts) == overall


@pytest.mark.parametrize(("kept", "shown"), [
    ("left internal rotation 24 deg, below the 30-40 deg band", "left internal rotation 24°, below the 30–40° band"),
    ("right total rotation 12 deg less than the left side", "right total rotation 12° less than the left side"),
    ("left internal rotation 24°, below the 30–40° band", "left internal rotation 24°, below the 30–40° band"),
])
def test_reasons_kept_by_0_1_are_shown_in_degrees(kept: str, shown: str) -> None:
    """A program a clinician kept with hiprom 0.1 prints as today's: the CLI and the PDF say ° like the page."""
    assert degrees_in_words(kept) == shown


@pytest.mark.parametrize(
    ("verdicts", "measurable", "kind", "badge"),
    [
        (("within", "within", "within"), True, "within", "Sides within 10°"),
        (("within", None, None), True, "within", "Sides within 10° where both were measured"),
        (("within", "inconclusive", "within"), True, "inconclusive", "Cannot tell whether the sides differ by more than 10°; repeat the test"),
        (("inconclusive", "exceeds", "within"), True, "exceeds", "Sides differ by more than 10°"),
        ((None, None, None), True, "not_compared", "Sides not compared"),
        ((None, None, None), False, "not_measurable", "Not measurable"),
    ],
)
def test_one_overall_answer_for_the_three_comparisons(verdicts, measurable, kind, badge):
    from hiprom.assessment.wording import overall_asymmetry

    result = {"measurable": measurable, "asymmetry": {
        "threshold_deg": 10.0, "verdicts": dict(zip(("internal_rotation", "external_rotation", "total_arc"), verdicts))}}
    overall = overall_asymmetry(result)
    assert (overall["kind"], overall["badge"]) == (kind, badge)
    assert overall["sentence"].startswith("No flag") == (kind == "within")


def test_an_undecided_comparison_reads_the_same_in_the_badge_the_sentences_and_the_summary():
    """The badge (the page's, the PDF's flag box) said "Cannot tell if the sides differ by more than 10°: repeat
    the test" beside the sentences' and the summary's "cannot tell whether ...; repeat the test"."""
    from hiprom.assessment.wording import overall_asymmetry

    words = "annot tell whether the sides differ by more than 10°"
    result = {"measurable": True, "trials": [],
              "sides": {side: {"internal_rotation_deg": 35.0, "external_rotation_deg": 45.0} for side in ("left", "right")},
              "asymmetry": {"threshold_deg": 10.0, "verdicts": {"internal_rotation": "inconclusive"}}}
    overall = overall_asymmetry(result)
    assert overall["badge"] == f"C{words}; repeat the test"
    assert overall["sentence"] == "We cannot tell yet whether your two hips differ by more than 10°; repeat the test."
    assert asymmetry_sentence("internal_rotation", "inconclusive", 9.0, 10.0) == (
        f"Internal rotation: c{words} (measured 9.0°); repeat the test.")
    assert verdict(result).startswith(f"C{words} in internal rotation; repeat the test")


def test_sentences_give_the_figure_the_tables_give():
    # The PDF table and the CSV say -9.2 and 27.0; the sentences beside them said "measured 9°" and "ER 27°" (bare "ER" in a patient's summary),
    # and a 9.6° difference read "more than 10° (measured 10°)".
    assert asymmetry_sentence("total_arc", "inconclusive", -9.2, 10.0).endswith("(measured 9.2°); repeat the test.")
    assert "(measured 9.6°)" in asymmetry_sentence("internal_rotation", "inconclusive", 9.6, 10.0)
    assert "turns 12.0° further" in asymmetry_sentence("external_rotation", "exceeds", -12.04, 10.0)
    result = {"measurable": True, "trials": [],
              "sides": {"left": {"internal_rotation_deg": 32.8, "external_rotation_deg": 27.0},
                        "right": {"internal_rotation_deg": 37.9, "external_rotation_deg": 31.14}},
              "asymmetry": {"threshold_deg": 10.0, "verdicts": {"internal_rotation": "within"}}}
    assert "below the normal band: left external rotation 27.0°, right external rotation 31.1°" in verdict(result)


OLD_NOTES = [  # as hiprom up to this version saved them in an analysis's quality notes, and as they read now
    ("right: hip lifted off the seat during 1 trial", "Right leg: hip lifted off the seat in 1 trial, which did not count."),
    ("left: pelvis hike during 2 trials", "Left leg: hip lifted off the seat in 2 trials, which did not count."),
    ("left: measurable in 85% of frames", "Left leg: could be measured in 85% of the frames."),
    ("left: rest position +3.1° from vertical", "Left leg: at rest the foot was 3.1° outward of straight below the knee."),
    ("right: rest position −2.4° from vertical", "Right leg: at rest the foot was 2.4° inward of straight below the knee."),
    ("right: rest position -2.0 deg from vertical", "Right leg: at rest the foot was 2.0° inward of straight below the knee."),
    ("left: no trial found", "Left leg: no trial found (no turn of the foot was seen)."),
    ("left: left leg out of the picture", "Left leg out of the picture."),
    ("right: legs never seen resting together in the picture",
     "Right leg: legs never seen resting together in the picture."),
    ("no person found in any frame", "No person found in any frame."),
    ("small camera picture (320×240): readings are less certain; use 640×480 or more",
     "Small camera picture (320×240): readings are less certain; use 640×480 or more."),
    ("clip.mp4 is truncated: it announces 137 frames but only 63 could be decoded",
     "clip.mp4 is truncated: it announces 137 frames but only 63 could be decoded."),  # a file name keeps its case
]


@pytest.mark.parametrize("saved, read", OLD_NOTES)
def test_quality_notes_read_as_sentences_those_saved_before_too(saved: str, read: str) -> None:
    # The page, the PDF, the CSV and the CLI showed "right: hip lifted off the seat during 1 trial".
    from hiprom.assessment.wording import note_sentence, quality_notes

    result = {"source": "clip.mp4", "quality": {"notes": [saved]}}
    assert quality_notes(result) == [read]
    assert note_sentence(read, "clip.mp4") == read  # a note saved as a sentence stays as it is


def test_a_new_results_notes_are_sentences(make_kin, noisy_protocol, full_test) -> None:
    import numpy as np

    t, angle = noisy_protocol(list(full_test), fps=30.0)
    angle[:, 1] += 3.0  # the right foot rests 3° outward
    angle[: int(0.2 * len(t)), 0] = np.nan  # the left leg unseen for a fifth of the recording
    notes = assess(make_kin(t, angle))["quality"]["notes"]
    assert notes and all(n[:1].isupper() and n.endswith(".") and ": " in n for n in notes), notes
    assert notes[0] == "Left leg: could be measured in 80% of the frames.", notes
    assert any(n.startswith("Right leg: at rest the foot was") for n in notes), notes


def test_a_note_that_says_why_a_part_was_not_measured_is_left_to_the_lines_that_say_it():
    """'sessions show' and the PDF say why a side, or the test, could not be measured in their own lines;
    the notes said it again ("Left leg out of the picture.", "Neither leg could be measured: ...")."""
    from hiprom.assessment.wording import quality_notes

    one_side = {"measurable": True, "sides": {"left": {"not_measurable": "left leg out of the picture"}, "right": {}},
                "quality": {"notes": ["Left leg out of the picture.", "Right leg: no trial found (no turn of the foot was seen)."]}}
    assert quality_notes(one_side) == one_side["quality"]["notes"]  # the page lists them: its only place
    for kwargs in ({"reasons_said": True}, {"in_report": True}):
        assert quality_notes(one_side, **kwargs) == ["Right leg: no trial found (no turn of the foot was seen)."]
    reason = "neither leg could be measured: left leg out of the picture; right leg out of the picture"
    nothing = {"measurable": False, "not_measurable_reason": reason,
               "sides": {side: {"not_measurable": f"{side} leg out of the picture"} for side in ("left", "right")},
               "quality": {"notes": ["Neither leg could be measured: left leg out of the picture; right leg out of the picture."]}}
    assert quality_notes(nothing, reasons_said=True) == [] and quality_notes(nothing) == nothing["quality"]["notes"]


@pytest.mark.parametrize(("duration_s", "words"), [
    (1.0, "the recording is 1.0 s long, too short to hold a test, which needs about 12 s (about 3 s a turn)"),
    (11.94, "the recording is 11.9 s long, too short"),
    (12.0, "no turn of a foot was held"),
    (None, "no turn of a foot was held"),
])
def test_no_trial_says_when_the_recording_is_too_short_for_a_test(duration_s, words) -> None:
    sentence = no_trial_sentence(duration_s)
    assert sentence.startswith("No trial found on either side: ") and words in sentence
    assert sentence.endswith("hold it still for a moment.")


@pytest.mark.parametrize(("n", "duration_s", "words"), [
    (5, 0.2, "only 5 frames: the recording is 0.2 s long, too short to hold a test, which needs about 12 s "
             "(about 3 s a turn)"),
    (2, 0.033, "only 2 frames: the recording is under 0.1 s long, too short to hold a test"),  # was "0.0 s long"
    (1, 0.033, "only 1 frame: a single picture, not a video of a test, which needs about 12 s (about 3 s a turn)"),
    (5, 25.0, "only 5 frames in 25.0 s; at least 10 are needed to measure a trial"),  # 1 picture every 5 s
])
def test_too_few_frames_says_how_long_the_recording_is(n, duration_s, words) -> None:
    """Under 10 frames said "only 5 frames; at least 10 are needed" with no length, where a 1 s clip is told it is
    too short for a test and how long one needs (:func:`no_trial_sentence`): it now says the seconds too."""
    reason = wording.too_few_frames_reason(n, duration_s, 10)
    assert reason.startswith(words)
    assert not_measurable_advice(reason).startswith("Film the whole test")


def test_a_clip_of_one_frame_is_not_said_to_be_0_0_s_long() -> None:
    """One frame at 30 fps lasts 0.033 s: the header and the CLI's recording line said "1 frame at 30.0 fps,
    0.0 s" and its reason "the recording is 0.0 s long"; a length under 0.1 s is said so."""
    from hiprom.report.rows import recording_words

    assert recording_words({"frames": 1, "fps": 30.0, "duration_s": 0.033}) == "1 frame at 30.0 fps, under 0.1 s"
    assert recording_words({"frames": 137, "fps": 10.0, "duration_s": 13.7}) == "137 frames at 10.0 fps, 13.7 s"
    assert [wording.seconds_words(s) for s in (0.033, 0.05, 0.2, 12.0)] == ["under 0.1 s", "0.1 s", "0.2 s", "12.0 s"]


def test_the_undecided_comparisons_are_one_sentence_and_none_when_all_were_decided() -> None:
    result = {"asymmetry": {"threshold_deg": 10.0, "internal_rotation_deg": -12.5, "internal_rotation_unc_deg": 1.0,
                            "total_arc_deg": 8.0, "total_arc_unc_deg": 2.0,
                            "verdicts": {"internal_rotation": "exceeds", "external_rotation": None,
                                         "total_arc": "inconclusive"}}}
    assert wording.undecided_asymmetry(result) == (
        "Cannot tell whether the sides differ by more than 10° in total arc (measured 8.0°, and could be as much "
        "as 11.9° with measurement error); repeat the test.")
    assert wording.asymmetry_pointer(result, "Left–right asymmetry") is None  # flagged: the sentence says it
    result["asymmetry"]["verdicts"]["total_arc"] = "within"
    assert wording.undecided_asymmetry(result) is None


@pytest.mark.parametrize(("fps", "said"), [(4.6, 4), (4.99, 4), (2.0, 2), (0.3, 1)])
def test_too_few_pictures_a_second_are_never_said_to_be_as_many_as_enough(fps: float, said: int) -> None:
    """The server on an old laptop measured 4.5-4.9 pictures a second and its set-up said "Only about 5
    pictures a second can be measured (holds are timed well from 5)": the number it rounded to was the one it
    asked for. It now says a number under it."""
    advice = wording.frame_rate_advice(fps)
    assert advice is not None and advice.startswith(f"Only about {said} picture"), advice
    assert wording.frame_rate_advice(wording.VALIDATED_MIN_FPS) is None
