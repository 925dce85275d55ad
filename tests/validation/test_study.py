"""Study figures per measure and pooled, same-day re-test pairs, and the MDC in force."""

from __future__ import annotations

import dataclasses
import math
from datetime import date

import numpy as np
import pytest

from hiprom.errors import InputError, NotMeasurableError
from hiprom.report.figures import fmt
from hiprom.store import MEASURES, ReferenceInput, SessionFigures, Store
from hiprom.validation import (
    FIGURE_KEYS,
    MIN_RETEST_SUBJECTS,
    Pair,
    mdc_from_sessions,
    mdc_in_force,
    retest_pairs,
    stored_pairs,
    stored_retest_pairs,
    summarize,
)
from hiprom.validation.pairs import parse_pairs_csv
from hiprom.validation.study import figures
from hiprom.validation.stats import Z95

from .conftest import synthetic_pairs


def test_every_measure_and_the_pool_have_the_issue_keys_and_contain_the_truth() -> None:
    study = summarize(synthetic_pairs(n_subjects=40, bias=3.0, noise_sd=1.5, seed=4))
    assert set(study["measures"]) == set(MEASURES)
    sd = 1.5 * math.sqrt(2)
    for figs in study["measures"].values():  # n = 40: within about 3 standard errors of the truth
        assert set(FIGURE_KEYS) <= set(figs) and figs["n"] == 40
        assert figs["bias_deg"] == pytest.approx(3.0, abs=1.0)
        assert (figs["loa_low_deg"], figs["loa_high_deg"]) == pytest.approx((3.0 - Z95 * sd, 3.0 + Z95 * sd), abs=2.0)
    pooled = study["pooled"]
    assert pooled["bias_ci_deg"][0] <= 3.0 <= pooled["bias_ci_deg"][1]
    assert pooled["loa_low_ci_deg"][0] <= 3.0 - Z95 * sd <= pooled["loa_low_ci_deg"][1]
    assert pooled["loa_high_ci_deg"][0] <= 3.0 + Z95 * sd <= pooled["loa_high_ci_deg"][1]
    assert study["pooled"]["n"] == 160 and study["n_subjects"] == 40


def test_a_measure_with_too_few_pairs_says_so_and_too_few_in_all_is_an_error() -> None:
    pairs = synthetic_pairs(n_subjects=10)
    few = [p for p in pairs if p.measure != "right_external"] + [p for p in pairs if p.measure == "right_external"][:2]
    study = summarize(few)
    assert study["measures"]["right_external"]["n"] == 2
    assert study["measures"]["right_external"]["bias_deg"] is None
    assert study["measures"]["left_internal"]["bias_deg"] is not None
    with pytest.raises(NotMeasurableError, match="2 pairs of hiprom and reference readings found; at least 3"):
        summarize(pairs[:2])


def test_stored_readings_pair_with_their_sessions_and_filters_apply(store: Store, save_session) -> None:
    a = save_session("A", "2026-03-01T09:00:00Z", 30, 40, 31, 41)
    b = save_session("B", "2026-04-01T09:00:00Z", 20, 35, 22, None)
    store.add_reference(a, ReferenceInput("goniometer", rater="X", left_ir_deg=28, right_er_deg=44))
    store.add_reference(b, ReferenceInput("inclinometer", rater="Y", left_ir_deg=21, right_er_deg=30))
    pairs = stored_pairs(store)
    # session B's right ER was not measurable: that reading gives no pair
    assert [(p.measure, p.a_deg, p.b_deg, p.subject) for p in pairs] == [
        ("left_internal", 30, 28, "A"), ("right_external", 41, 44, "A"), ("left_internal", 20, 21, "B")]
    assert [p.subject for p in stored_pairs(store, instrument="inclinometer")] == ["B"]
    assert stored_pairs(store, rater="nobody") == []


def test_retest_pairs_are_the_first_two_sessions_of_a_subject_on_one_day(store: Store, save_session) -> None:
    save_session("A", "2026-03-01T09:00:00Z", 30, 40, 31, 41)
    save_session("A", "2026-03-01T09:30:00Z", 32, 39, 30, 43)
    save_session("A", "2026-03-01T10:00:00Z", 50, 50, 50, 50)  # a third session that day does not count
    save_session("A", "2026-03-02T09:00:00Z", 10, 10, 10, 10)  # another day: no partner
    save_session("B", "2026-03-01T11:00:00Z", 25, 35, 26, 36)  # one session: no partner
    pairs = stored_retest_pairs(store)
    assert [(p.measure, p.a_deg, p.b_deg) for p in pairs] == [
        ("left_internal", 30, 32), ("left_external", 40, 39), ("right_internal", 31, 30), ("right_external", 41, 43)]
    assert stored_retest_pairs(store, since=date(2026, 3, 2)) == []


def test_a_test_again_after_exercises_is_no_repeat_for_the_clinics_mdc(store: Store, save_session) -> None:
    """The page's "test, exercises, test again" is two sessions the same day: they were taken as a
    re-test of hiprom's noise, so 20 such patients, each +8° after the exercises, gave the clinic an
    MDC of 15.7° that then called every such +8° "no detectable change"."""
    counted = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
               "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 20,
               "reps_target": 20, "reps_refused": 0, "holds_s": [3.0], "peaks_deg": [30.0], "reps": [{"number": 1}]}
    after = []
    for i in range(MIN_RETEST_SUBJECTS):
        before = save_session(f"P-{i}", "2026-03-01T09:00:00Z", 30 + i % 3, 40, 31, 41 - i % 2)
        store.add_exercise_result(before, counted)
        after.append(save_session(f"P-{i}", "2026-03-01T09:30:00Z", 38 + i % 3, 48, 39, 49 - i % 2))
    assert stored_retest_pairs(store) == []
    mdc = mdc_in_force(store)
    assert (mdc.source, mdc.n_subjects) == ("published", 0)
    repeat = save_session("P-0", "2026-03-01T10:00:00Z", 39, 47, 38, 50)  # the test after the exercises, again
    assert {p.session for p in stored_retest_pairs(store)} == {f"{after[0]}+{repeat}"}


def test_pairs_and_the_mdc_read_only_the_sessions_figures(store: Store, save_session) -> None:
    """Every report, trend and re-test asks for the clinic's MDC, which pairs the re-tests of every
    stored session: with 20 000 sessions it read each whole row, counting its trials and looking up
    its landmarks, for four figures (2.1 s of CPU each time); now it reads the figures' columns alone
    (0.4 s), as do ``hiprom validate``'s pairs."""
    from sqlalchemy import event

    first = save_session("A", "2026-03-01T09:00:00Z", 30, 40, 31, 41)
    save_session("A", "2026-03-01T09:30:00Z", 32, 39, 30, 43)
    store.add_reference(first, ReferenceInput("goniometer", left_ir_deg=28))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))
    assert mdc_in_force(store).n_subjects == 1
    assert len(stored_retest_pairs(store)) == 4 and len(stored_pairs(store)) == 1
    read = " ".join(statements)
    assert "from sessions" in read
    assert not {"trials", "landmarks", "sessions.operator", "sessions.settings_json"} & set(read.split())


@pytest.mark.usefixtures("sydney_clock")
def test_retest_pairs_are_made_by_the_clinics_day(store: Store, save_session) -> None:
    first = save_session("A", "2026-03-01T23:30:00Z", 30, 40, 31, 41)  # 10:30 in Sydney
    save_session("A", "2026-03-02T00:10:00Z", 32, 39, 30, 43)  # 11:10, the same visit
    save_session("B", "2026-03-05T01:00:00Z", 25, 35, 26, 36)  # noon
    save_session("B", "2026-03-05T22:00:00Z", 10, 10, 10, 10)  # 9:00 the next day: another visit
    assert {(p.subject, p.a_deg, p.b_deg) for p in stored_retest_pairs(store) if p.measure == "left_internal"} == {
        ("A", 30, 32)}
    # --since/--until name the clinic's days too: the 10:30 visit of 2 March is on 2 March, not 1 March.
    day = date(2026, 3, 2)
    assert {p.subject for p in stored_retest_pairs(store, since=day, until=day)} == {"A"}
    store.add_reference(first, ReferenceInput("goniometer", left_ir_deg=29))
    assert [r.session_id for r in store.references(since=day, until=day)] == [first]
    assert store.references(until=date(2026, 3, 1)) == []


def test_the_clinic_mdc_replaces_the_published_one_from_20_retested_subjects(store: Store, save_session) -> None:
    rng = np.random.default_rng(9)
    for i in range(MIN_RETEST_SUBJECTS):
        truth = rng.uniform(20, 50, 4)
        for minute in (0, 30):
            save_session(f"R-{i}", f"2026-05-01T09:{minute:02d}:00Z", *(truth + rng.normal(0, 1.0, 4)))
        if i == MIN_RETEST_SUBJECTS - 2:
            before = mdc_in_force(store)
    assert before.source == "published" and (before.low_deg, before.high_deg) == (6.0, 9.0)
    assert "re-tested 19 of the 20 subjects" in before.text
    now = mdc_in_force(store)
    assert now.source == "clinic" and now.n_subjects == 20
    # noise 1 deg per session: the difference has sd sqrt(2), MDC95 = 1.96 * sqrt(2) ~ 2.8 deg
    assert 1.8 < now.low_deg < 4.0 and now.low_deg == now.high_deg
    assert set(now.per_measure) == set(MEASURES) and now.for_measure("left_internal") == now.per_measure["left_internal"]
    assert "This clinic's own minimal detectable change" in now.text and "20 subjects" in now.text
    # with how sure it is, as the validation report gives it
    ci = figures(retest_pairs(store.figures()))["mdc95_ci_deg"]
    assert f"{fmt(now.low_deg)}° (95% confidence: {fmt(ci[0])} to {fmt(ci[1])}°)" in now.text
    assert ci[0] < now.low_deg < ci[1]


def test_one_recording_analysed_twice_is_no_clinic_mdc_of_0() -> None:
    """20 subjects' videos each analysed twice on the day read alike: the clinic's MDC became 0.0°, and every
    change, however small, would have been called real. The published one stays in force, saying why."""
    rng = np.random.default_rng(10)
    sessions = []
    for i in range(MIN_RETEST_SUBJECTS):
        figs = [float(v) for v in rng.uniform(20, 50, 4)]
        sessions += [SessionFigures(2 * i + k, f"R-{i}", f"2026-05-01T09:{30 * k:02d}:00Z", *figs) for k in (0, 1)]
    mdc = mdc_from_sessions(sessions)
    assert (mdc.source, mdc.low_deg, mdc.high_deg, mdc.per_measure) == ("published", 6.0, 9.0, {})
    assert "20 re-tested subjects read exactly alike in both sessions, as one recording analysed twice" in mdc.text
    # and 'hiprom validate --retest' says why, where it said "more people are needed"
    study = summarize(retest_pairs(sessions), kind="retest")
    assert study["pooled"]["note"] == ("every pair differed by exactly 0.0°, so there is no spread to put an interval "
                                       "on; one recording analysed twice reads alike: a re-test is a second test, the "
                                       "person seated again")


def test_a_video_analysed_again_by_a_newer_hiprom_is_no_retest_in_the_clinics_mdc(store: Store,
                                                                                   fixture_analysis: dict) -> None:
    """20 subjects tested at 9:00 and re-tested at 9:30 (a second video, 2° apart); each 9:00 video analysed
    again at 9:10 by a newer hiprom, 0.3° apart. The re-analysis was taken for the re-test: the clinic's MDC
    read 0.6°, and a change of 1° was called real. Now the pairs are the two tests, and the MDC theirs."""
    rng = np.random.default_rng(11)
    for i in range(MIN_RETEST_SUBJECTS):
        truth = rng.uniform(20, 50, 4)
        retest = truth + rng.normal(0, 2.0, 4)
        for minute, figs, video in ((0, truth, f"{i:064x}"), (10, truth + 0.3, f"{i:064x}"),
                                    (30, retest, f"{i + 100:064x}")):
            a = {**fixture_analysis, "recording_sha256": video, "sides": {
                side: {**fixture_analysis["sides"][side], "internal_rotation_deg": float(figs[2 * k]),
                       "external_rotation_deg": float(figs[2 * k + 1])}
                for k, side in enumerate(("left", "right"))}}
            store.save_analysis(a, subject=f"R-{i}", recorded_utc=f"2026-05-01T09:{minute:02d}:00Z")
    pairs = stored_retest_pairs(store)
    assert len(pairs) == 4 * MIN_RETEST_SUBJECTS
    assert all(p.b_deg - p.a_deg != pytest.approx(0.3) for p in pairs)  # no pair is a video and its re-analysis
    mdc = mdc_in_force(store)
    assert mdc.source == "clinic" and mdc.low_deg > 3.0  # the tests 2° apart: 1.96 * 2° = 3.9°


def test_pairs_csv_reads_optional_columns_and_names_bad_rows() -> None:
    pairs, unpaired = parse_pairs_csv("Measure,hiprom_deg,reference_deg,subject,rater\nleft_internal,30,28.5,S1,A\n")
    assert pairs == [Pair("left_internal", 30.0, 28.5, "S1", None, "A", None, row="2")] and unpaired == []
    with pytest.raises(InputError, match="row 2: measure 'left_flexion' is unknown.*\n  row 3: reference_deg: '3O'"):
        parse_pairs_csv("measure,hiprom_deg,reference_deg\nleft_flexion,1,2\nleft_internal,3,3O\n")
    with pytest.raises(InputError, match="missing column\\(s\\) reference_deg"):
        parse_pairs_csv("measure,hiprom_deg\nleft_internal,3\n")
    european, _ = parse_pairs_csv("\ufeffMeasure;Hiprom (°);Reference (deg)\r\nleft_internal;30,5;28°\r\n\r\n")
    assert european == [Pair("left_internal", 30.5, 28.0, row="2")]


def test_pairs_that_name_no_subject_are_not_counted_as_0_subjects() -> None:
    """A pairs CSV may leave subjects out: the count is unknown, and the study is not called a pilot for it."""
    from hiprom.validation.pdf import sample_size
    from hiprom.validation.study import people_and_pairs

    pairs = [dataclasses.replace(p, subject=None) for p in synthetic_pairs(n_subjects=40)]
    study = summarize(pairs)
    assert study["n_subjects"] is None
    assert people_and_pairs(study) == "160 pairs of readings (people not named: each pair counts as one person)"
    assert "pilot" not in " ".join(sample_size(study)) and "0 people" not in " ".join(sample_size(study))
    assert people_and_pairs(summarize(synthetic_pairs(n_subjects=10))) == "10 people, 40 pairs of readings"


def test_a_session_without_a_subject_is_counted_among_the_people_it_is_counted_as() -> None:
    """Two subjects read three times and a session saved without a subject: the figures count three
    people, but the table and the PDF said "from 2 subjects" and the people column 2."""
    from hiprom.validation.study import counting_text, people_and_pairs

    rows = [("P1", "1", 30, 29), ("P1", "1", 30, 28), ("P1", "1", 30, 30), ("P2", "2", 35, 33),
            (None, "3", 40, 37), ("P4", "4", 28, 27)]
    study = summarize([Pair("left_internal", a, b, s, session, "A", "goniometer") for s, session, a, b in rows])
    assert study["n_subjects"] == 4 and study["measures"]["left_internal"]["n_subjects"] == 4
    assert people_and_pairs(study) == "4 people, 6 pairs of readings"
    assert counting_text(study) == (
        "A pair is hiprom's reading and the goniometer's of one measure of one person at one visit. 1 person gave "
        "more than one pair of a measure (up to 3): each person counts once in every figure, however many pairs. "
        "1 session without a subject counts as one person.")
    retest = summarize([Pair("left_internal", 30, 31, f"R{i}", f"{i}+{i + 10}") for i in range(3)], kind="retest")
    assert people_and_pairs(retest) == "3 people, 3 re-test pairs"
    assert counting_text(retest) == ("A re-test pair is one measure of one person in the first two hiprom tests of "
                                     "a day (a recording analysed twice is one test).")



def test_the_mdc_in_force_does_not_import_scipy_stats(tmp_path) -> None:
    """Every report, trend and re-test asks for the clinic's MDC; importing scipy.stats for it took
    1.5 s of each command even when the clinic had too few re-tests to use its own."""
    import subprocess
    import sys

    code = ("import sys; from hiprom.store import Store; from hiprom.report.exercises import clinic_mdc; "
            f"clinic_mdc(Store({str(tmp_path / 'h.db')!r})); print('scipy.stats' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def test_three_goniometer_readings_of_one_person_are_one_person_not_three() -> None:
    """A clinic that reads the goniometer three times a visit: the person read three times weighed
    three times in the bias (3.3 deg where the five people's own differences average 2.6) and
    counted as three people in its interval."""
    rows = [("P1", 30, 29), ("P2", 35, 33), ("P3", 40, 37), ("P4", 28, 26),
            ("P5", 33, 28), ("P5", 33, 29), ("P5", 33, 27)]
    pairs = [Pair("left_internal", a, b, s) for s, a, b in rows]
    figs = summarize(pairs)["measures"]["left_internal"]
    # subject means of hiprom - goniometer: 1, 2, 3, 2, 5 -> 2.6 (the 7 pairs alone: 23 / 7 = 3.29)
    assert figs["n"] == 7 and figs["n_subjects"] == 5 and figs["bias_deg"] == pytest.approx(2.6)
    t4 = 2.776445  # t(0.975, 5 subjects - 1)
    half = t4 * np.std([1, 2, 3, 2, 5], ddof=1) / math.sqrt(5)
    assert figs["bias_ci_deg"] == pytest.approx([2.6 - half, 2.6 + half], abs=1e-5)
    with pytest.raises(NotMeasurableError, match="^4 pairs of hiprom and reference readings from 2 subjects found; "
                                                 "at least 3 subjects are needed"):
        summarize([Pair("left_internal", 30, 29, "A")] * 3 + [Pair("left_internal", 30, 27, "B")])
    two = [Pair("left_external", 30, 29, "P1")] * 3 + [Pair("left_external", 30, 27, "P2")] * 2
    assert summarize(pairs + two)["measures"]["left_external"] == {
        **dict.fromkeys(FIGURE_KEYS), "n": 5, "n_subjects": 2, "note": "5 pairs from 2 subjects: at least 3 subjects are needed for any figure"}


def test_pairs_csv_takes_the_measure_as_hiprom_prints_it_or_a_clinic_abbreviates_it() -> None:
    """'Left internal rotation' is what 'hiprom validate' and its PDF call the measure, 'left IR' the
    readings file's column: a clinic typing either had every row refused as an unknown measure."""
    text = ("Measure;Hiprom;Reference;Subject\nLeft internal rotation;30;28;A\nleft IR;31;29;B\nL-ER;20;21;C\n"
            "right_ir;35;33;D\nR ER;25;24;E\nRIGHT EXTERNAL ROTATION;26;27;F\n")
    assert [p.measure for p in parse_pairs_csv(text)[0]] == [
        "left_internal", "left_internal", "left_external", "right_internal", "right_external", "right_external"]
    with pytest.raises(InputError, match=r"row 2: measure 'left' is unknown, expecting one of \{left_internal, "
                                         r"left_external, right_internal, right_external\} \(or as hiprom prints"):
        parse_pairs_csv("measure,hiprom_deg,reference_deg\nleft,30,28\n")


def test_a_pairs_file_excel_saved_as_plain_csv_says_to_save_it_as_csv_utf8(tmp_path) -> None:
    """Excel's plain 'CSV' on Windows is Windows-1252: the degree sign of 'Hiprom (°)' stopped the file with
    Python's "'utf-8' codec can't decode byte 0xb0 in position 16: invalid start byte" and nothing to do."""
    from hiprom.validation import read_pairs_csv

    path = tmp_path / "pairs.csv"
    path.write_bytes("measure;Hiprom (°);Reference (°)\nleft_internal;30;28\n".encode("cp1252"))
    with pytest.raises(InputError) as caught:
        read_pairs_csv(path)
    assert str(caught.value) == (f'{path}: is not UTF-8 text (byte 0xb0 at byte 16); save it from your spreadsheet '
                                 'as "CSV UTF-8" and try again')


def test_a_measure_re_tested_in_one_person_only_takes_the_clinics_pooled_mdc(store: Store, save_session) -> None:
    """Right ER re-tested only in R-0 (on three days): 3 pairs from one person give no MDC of their own."""
    rng = np.random.default_rng(5)
    for i in range(MIN_RETEST_SUBJECTS):
        for day in (1, 2, 3) if i == 0 else (1,):
            for minute in (0, 30):
                figs = rng.uniform(20, 50, 4)
                save_session(f"R-{i}", f"2026-05-0{day}T09:{minute:02d}:00Z", *figs[:3], figs[3] if i == 0 else None)
    mdc = mdc_in_force(store)
    assert mdc.source == "clinic" and set(mdc.per_measure) == set(MEASURES) - {"right_external"}
    assert mdc.for_measure("right_external") == mdc.low_deg


def test_readings_with_no_hiprom_figure_are_named_not_silently_left_out(store: Store, save_session) -> None:
    """hiprom could not measure B's right ER: the goniometer's 30 deg paired with nothing and the clinic
    saw 3 pairs for the 4 angles it typed, without a word why."""
    from hiprom.validation import stored_unpaired
    from hiprom.validation.study import unpaired_text

    a = save_session("A", "2026-03-01T09:00:00Z", 30, 40, 31, 41)
    b = save_session("B", "2026-04-01T09:00:00Z", 20, 35, 22, None)
    store.add_reference(a, ReferenceInput("goniometer", left_ir_deg=28, right_er_deg=44))
    store.add_reference(b, ReferenceInput("goniometer", left_ir_deg=21, right_er_deg=30))
    assert len(stored_pairs(store)) == 3
    unpaired = stored_unpaired(store)
    assert unpaired == [{"session": str(b), "measure": "right_external"}]
    assert stored_unpaired(store, subject="A") == []
    study = summarize(synthetic_pairs(n_subjects=3), unpaired=unpaired)
    assert study["unpaired"] == unpaired
    assert unpaired_text(study) == (f"1 angle read with the instrument has no hiprom figure to pair with, as hiprom "
                                    f"could not measure that side in that session (session {b}, right external "
                                    "rotation): it is left out.")
    assert unpaired_text(summarize(synthetic_pairs(n_subjects=3))) is None


def test_a_pairs_sheet_with_the_reference_column_named_by_its_instrument_is_read() -> None:
    """A clinic heads its column 'Goniometer (°)': the file was refused, "missing column(s) reference_deg"."""
    pairs, _ = parse_pairs_csv("Subject;Measure;Hiprom (°);Goniometer (°)\nP-01;Left IR;30,5;29\nP-02;L ER;35;33\n")
    assert pairs == [Pair("left_internal", 30.5, 29.0, "P-01", instrument="goniometer", row="2"),
                     Pair("left_external", 35.0, 33.0, "P-02", instrument="goniometer", row="3")]
    with pytest.raises(InputError, match="^CSV: columns 'Goniometer' and 'Inclinometer' both hold reference_deg; "
                                         "keep one and run again$"):
        parse_pairs_csv("measure,hiprom,Goniometer,Inclinometer\nleft IR,30,29,28\n")
    with pytest.raises(InputError, match="columns 'Hiprom' and 'hiprom_deg' both hold hiprom_deg"):
        parse_pairs_csv("measure,Hiprom,reference,hiprom_deg\nleft IR,30,29,28\n")


def test_one_subject_typed_two_ways_is_pointed_out() -> None:
    """'P-01' on one row and 'p-01' on another are counted as two people; nothing said so."""
    from hiprom.validation.study import counting_text

    rows = [("P-01", 30, 29), ("p-01", 31, 30), ("P-02", 35, 33), ("P 03", 40, 37), ("P-03", 41, 38), ("P-04", 28, 27)]
    text = counting_text(summarize([Pair("left_internal", a, b, s) for s, a, b in rows]))
    assert text.endswith("Subjects written alike but for case, spaces or dashes count as different people ('P-01' "
                         "and 'p-01'; 'P 03' and 'P-03'): if one person, give them one spelling and run again.")
    assert "alike" not in counting_text(summarize(synthetic_pairs(n_subjects=5)))


def test_rows_of_a_pairs_sheet_with_a_reading_not_taken_are_left_out_and_named() -> None:
    """A clinic's sheet with the goniometer cell blank, or '-', where one side was not measured: the whole
    file was refused ("row 4: hiprom_deg and reference_deg are both needed"), as the store's readings are not."""
    from hiprom.validation.study import unpaired_text

    text = ("subject;measure;hiprom;goniometer\nP1;left IR;30;29\nP2;left IR;35;33\nP3;right ER;40;\n"
            "P3;left IR;31;30\nP4;left ER;-;27\n")
    pairs, unpaired = parse_pairs_csv(text)
    assert [p.subject for p in pairs] == ["P1", "P2", "P3"]
    assert unpaired == [{"row": "4", "measure": "right_external"}, {"row": "6", "measure": "left_external"}]
    assert unpaired_text(summarize(pairs, unpaired=unpaired)) == (
        "2 rows of the file have hiprom's or the goniometer's reading blank or marked not measured (row 4, right "
        "external rotation; row 6, left external rotation): they are left out.")


def test_a_wide_sheet_one_row_per_person_and_visit_is_read_as_its_pairs() -> None:
    """A clinic's sheet with a hiprom and a goniometer column per measure, one row per person and visit, was
    refused: "missing column(s) measure, hiprom_deg, reference_deg". Its row's measures are its pairs; a blank
    or '-' reading is left out and named, as in a pairs file; other columns (the visit's date) are ignored."""
    text = ("Subject;Visit date;hiprom L IR;Goniometer L IR;L ER hiprom (°);L ER (º) gonio;Hiprom right IR;"
            "Reference right IR\n"
            "P-01;20/02/2026;30,5;29;40;41;32;31\nP-02;20/02/2026;32;30;-;37;33;30\n")
    pairs, unpaired = parse_pairs_csv(text)
    assert pairs == [Pair("left_internal", 30.5, 29.0, "P-01", instrument="goniometer", row="2"),
                     Pair("left_external", 40.0, 41.0, "P-01", instrument="goniometer", row="2"),
                     Pair("right_internal", 32.0, 31.0, "P-01", row="2"),
                     Pair("left_internal", 32.0, 30.0, "P-02", instrument="goniometer", row="3"),
                     Pair("right_internal", 33.0, 30.0, "P-02", row="3")]
    assert unpaired == [{"row": "3", "measure": "left_external"}]


WIDE_HEADER = "Visit date,hiprom L IR,Goniometer L IR,hiprom L ER,Goniometer L ER,hiprom R IR,Goniometer R IR,hiprom R ER,Goniometer R ER"
WIDE_ROWS = ["2026-03-01,24.4,26.3,37.3,37.3,21.6,18.4,30.4,26.9", "2026-03-02,40.9,45.7,20.5,20.0,35.4,31.2,22.1,17.9",
             "2026-03-03,34.9,30.2,33.0,28.1,44.1,40.0,37.4,46.4", "2026-03-04,47.7,47.3,29.6,25.8,37.7,42.2,29.2,34.8",
             "2026-03-05,41.3,35.0,53.6,40.6,43.2,45.2,52.2,46.7", "2026-03-06,42.8,46.9,37.0,38.3,46.9,45.5,42.6,44.9"]


def test_a_wide_sheet_without_subjects_counts_each_row_as_one_person_and_says_so() -> None:
    """A wide sheet (one row per person and visit) without a subject column: its four pairs a row were counted
    as four people. Six rows read "24 pairs of readings (people not named: each pair counts as one person)" and
    the pooled ICC(2,1) was 0.87 where the six people give 0.89; two rows (two people) gave an ICC, SEM and
    MDC95 (6.4 deg) as if from eight, where every figure needs at least three people."""
    from hiprom.validation.study import counting_text, people_and_pairs

    pairs, _ = parse_pairs_csv("\n".join([WIDE_HEADER, *WIDE_ROWS]) + "\n")
    study = summarize(pairs)
    assert study["n_subjects"] is None  # not named: how many people there were is unknown
    assert people_and_pairs(study) == ("24 pairs of readings from 6 rows (people not named: each row counts as "
                                       "one person)")
    assert ("The file names no subject or session, so each row counts as one person: a person with several rows "
            "counts as several") in counting_text(study)
    named, _ = parse_pairs_csv("\n".join([f"subject,{WIDE_HEADER}", *(f"P{i},{r}" for i, r in enumerate(WIDE_ROWS))]))
    assert summarize(named)["pooled"] == {**study["pooled"], "n_subjects": 6}  # six people's figures, as if named
    with pytest.raises(NotMeasurableError, match=r"^8 pairs of hiprom and reference readings from 2 rows \(people "
                       r"not named: each row counts as one person\) found; at least 3 rows are needed"):
        summarize(parse_pairs_csv("\n".join([WIDE_HEADER, *WIDE_ROWS[:2]]))[0])


def test_a_long_pairs_file_without_subjects_still_counts_each_pair_as_one_person() -> None:
    from hiprom.validation.study import counting_text, people_and_pairs

    pairs, _ = parse_pairs_csv("measure,hiprom_deg,reference_deg\n" + "".join(
        f"left IR,{30 + i},{29 + i * 1.1}\n" for i in range(4)))
    study = summarize(pairs)
    assert study["pooled"]["n"] == 4 and study["pooled"]["icc_2_1"] is not None
    assert people_and_pairs(study) == "4 pairs of readings (people not named: each pair counts as one person)"
    assert "so each pair counts as one person: a person with several pairs counts as several" in counting_text(study)


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("subject,hiprom L IR,Goniometer L IR,hiprom L ER",
         "CSV: column 'hiprom L ER' has no reference column of left_external to pair with (the instrument's name "
         "('Goniometer') or 'reference' and the measure, as in this column); add it, or take the column out"),
        ("subject,Goniometer L IR,hiprom L ER,Goniometer L ER", "CSV: column 'Goniometer L IR' has no hiprom column"),
        ("subject,hiprom L IR,Goniometer L IR,Inclinometer L IR",
         "CSV: columns 'Goniometer L IR' and 'Inclinometer L IR' both hold the reference's left_internal; keep one"),
    ],
)
def test_a_wide_sheet_with_a_measure_read_once_or_twice_is_refused_naming_the_column(header: str, said: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_pairs_csv(f"{header}\nP-01,30,29,40\n")
    assert str(caught.value).startswith(said)
