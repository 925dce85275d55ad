"""The validation report's words and table (HTML of the PDF; charts left out to keep the tests quick)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest

from hiprom.overwrite import check_replaceable
from hiprom.report.figures import fmt
from hiprom.report.paper import PAPERS
from hiprom.report.pdf import BODY_PT
from hiprom.rounding import shown
from hiprom.store import MEASURES
from hiprom.validation import Pair, pdf, summarize

from report.pdftools import need_poppler, on_the_sheet, pdf_pages, pdf_text, size_of, structure
from .conftest import synthetic_pairs


@pytest.fixture(autouse=True)
def _no_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "agreement_chart", lambda *args, **kwargs: "<svg/>")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_table_gives_each_limit_of_agreement_with_its_confidence_interval() -> None:
    """With 10 people each limit is uncertain by about ± 1.2 SD: the table showed '-3.5 to 6.1' alone,
    the interval only as a shading on the plot."""
    study = summarize(synthetic_pairs(n_subjects=10, seed=3))
    text = _text(pdf.render_html(study, "2026-06-01T10:00:00Z"))
    assert "LoA low [95% CI] LoA high [95% CI]" in html.unescape(text).replace("\xa0", " ")
    assert "LoA low and high: the 95% limits of agreement" in text
    assert " %" not in text  # "95%" as the patient's report and the terminal write a percentage
    for figs in (*study["measures"].values(), study["pooled"]):
        low, high = figs["loa_low_ci_deg"], figs["loa_high_ci_deg"]
        assert (f"{fmt(figs['loa_low_deg'])}° [{fmt(low[0])}, {fmt(low[1])}] "
                f"{fmt(figs['loa_high_deg'])}° [{fmt(high[0])}, {fmt(high[1])}]") in text


def test_each_figure_is_copied_with_its_measure_unit_and_interval(tmp_path: Path) -> None:
    """Nine columns, each figure wrapped over its interval, pasted (pdftotext, as a viewer's select-all and
    copy) as "−2.9 0.96 0.97 1.8 [−5.4, −0.3] [0.81, 0.99] [0.88, 0.99] [1.3, 3.1] to 5.8 [3.2, 8.3]": no figure
    beside its interval, none after its measure's name. Each measure's row now reads whole, in the reading order
    and in the layout's: "Left internal rotation 11 (11) 1.4° [0.0, 2.9] −2.9° [−5.4, −0.3] 5.8° [3.2, 8.3] ..."."""
    from hiprom.validation.study import MEASURE_WORDS

    need_poppler()
    study = summarize(synthetic_pairs(n_subjects=11, seed=15))
    target = pdf.write_pdf(study, tmp_path / "v.pdf", "2026-06-01T10:00:00Z", paper="a4")

    def cells(figs: dict, *names: str) -> str:
        def cell(name: str) -> str:
            digits, unit, key = (2, "", name) if name.startswith("icc") else (1, "°", f"{name}_deg")
            low, high = figs[key.replace("_deg", "") + "_ci" + ("_deg" if unit else "")]
            return f"{fmt(figs[key], digits)}{unit} [{fmt(low, digits)}, {fmt(high, digits)}]"
        return " ".join(cell(name) for name in names)

    for layout in (False, True):
        text = " ".join(pdf_text(target, layout=layout).split())
        for key, figs in (*study["measures"].items(), ("pooled", study["pooled"])):
            agreement = (f"{MEASURE_WORDS[key]} {figs['n']} ({figs['n_subjects']}) "
                         f"{cells(figs, 'bias', 'loa_low', 'loa_high')} {fmt(figs['proportional_bias_slope'], 2)} (p ")
            assert agreement in text, (layout, agreement)
            reliability = f"{MEASURE_WORDS[key]} {cells(figs, 'icc_2_1', 'icc_3_1', 'sem', 'mdc95')}"
            assert reliability in text, (layout, reliability)


def test_the_sem_and_mdc95_are_given_with_their_confidence_intervals() -> None:
    """'MDC95 6.1' from 8 people stood alone, where the ICC and the limits beside it had intervals."""
    study = summarize(synthetic_pairs(n_subjects=8, seed=3))
    text = html.unescape(_text(pdf.render_html(study, "2026-06-01T10:00:00Z"))).replace("\xa0", " ")
    assert "SEM [95% CI] MDC95 [95% CI]" in text
    for figs in (*study["measures"].values(), study["pooled"]):
        sem, mdc = figs["sem_ci_deg"], figs["mdc95_ci_deg"]
        assert (f"{fmt(figs['sem_deg'])}° [{fmt(sem[0])}, {fmt(sem[1])}] "
                f"{fmt(figs['mdc95_deg'])}° [{fmt(mdc[0])}, {fmt(mdc[1])}]") in text
    f, meaning = study["pooled"], " ".join(pdf.meaning(study))
    assert (f"must exceed the MDC95 of {fmt(f['mdc95_deg'])}° (95% confidence: {fmt(f['mdc95_ci_deg'][0])} to "
            f"{fmt(f['mdc95_ci_deg'][1])}°)") in meaning


def test_the_mdc95_of_an_agreement_study_is_said_to_be_the_instruments_not_hiprom_s_own() -> None:
    """The agreement study's MDC95 (hiprom against the goniometer, 23.5° for 40 people) read "A change between
    two readings must exceed the MDC95": a clinician would judge hiprom's own follow-ups by it. It is the change
    from one instrument's reading to a later one of the other; hiprom's own comes from its re-tests. The ICCs are
    named by model, type and form, as Koo & Li ask a report to."""
    agreement = summarize(synthetic_pairs(n_subjects=12, seed=4))
    f, meaning = agreement["pooled"], " ".join(pdf.meaning(agreement))
    assert (f"A change between a reading of one instrument and a later one of the other must exceed the MDC95 of "
            f"{fmt(f['mdc95_deg'])}°") in meaning
    assert ("A change read by hiprom both times is judged by hiprom's own MDC95, from its same-day re-tests "
            "('hiprom validate --retest').") in meaning
    retest = summarize(synthetic_pairs(n_subjects=12, seed=4, instrument="hiprom"), kind="retest")
    retest_meaning = " ".join(pdf.meaning(retest))
    assert "A change between two readings must exceed the MDC95" in retest_meaning and "--retest" not in retest_meaning
    text = html.unescape(_text(pdf.render_html(agreement, "2026-06-01T10:00:00Z")))
    assert ("ICC(2,1): two-way random effects, absolute agreement, single reading (Shrout & Fleiss 1979; McGraw & "
            "Wong's ICC(A,1)): a constant difference lowers it. ICC(3,1): two-way mixed effects, consistency, single "
            "reading (ICC(C,1)): it does not.") in text


def test_repeated_readings_are_said_to_count_once_and_the_limits_uncertainty_follows_them() -> None:
    pairs = [Pair("left_internal", a, b, s) for s, a, b in [
        ("P1", 30, 29), ("P2", 35, 33), ("P3", 40, 37), ("P4", 28, 26), ("P5", 33, 28), ("P5", 33, 29)]]
    study = summarize(pairs)
    text = " ".join(pdf.sample_size(study))
    assert "every figure and its interval counts each person once, not each pair" in text
    f = study["pooled"]
    assert f"± {fmt(f['loa_ci_half_width_deg'] / f['sd_diff_deg'], 2)} SD here, that is ± {fmt(f['loa_ci_half_width_deg'])}°" in text
    assert "counts each person once" not in " ".join(pdf.sample_size(summarize(synthetic_pairs(n_subjects=10))))


def test_what_the_figures_mean_gives_the_limits_and_the_icc_with_their_intervals() -> None:
    """With 10 people 'hiprom reads between -3.0 and 7.0 from the goniometer' read as settled; each
    limit is uncertain by about ± 1.2 SD, and the ICC's interval went unsaid too."""
    study = summarize(synthetic_pairs(n_subjects=10, seed=3))
    f, text = study["pooled"], " ".join(pdf.meaning(study))
    low, high, icc = f["loa_low_ci_deg"], f["loa_high_ci_deg"], f["icc_2_1_ci"]
    assert (f"With 95% confidence the lower limit is {fmt(low[0])} to {fmt(low[1])}° and the upper "
            f"{fmt(high[0])} to {fmt(high[1])}°.") in text
    assert f"ICC(2,1) of {fmt(f['icc_2_1'], 2)} (95% confidence: {fmt(icc[0], 2)} to {fmt(icc[1], 2)})" in text
    same = summarize([Pair("left_internal", a, a, s) for s, a in (("A", 30.0), ("B", 35.0), ("C", 40.0))])
    # readings alike in every pair: no interval, rather than "0.0 to 0.0°" or "(95% confidence: —)"
    assert pdf.meaning(same)[:2] == ["Every pair differed by exactly 0.0°, so there is no spread to put an interval "
                                     "on; more people are needed.", "On average hiprom reads the same as the reference."]
    assert "ICC(2,1) of 1.00: 1 is perfect agreement" in " ".join(pdf.meaning(same))


@pytest.mark.parametrize("rows", [
    [("A", 30, 30), ("B", 30, 30), ("C", 30, 30), ("D", 30, 30)],
    [("A", 30, 29), ("B", 30, 29), ("C", 30, 29), ("D", 30, 29)],
    [("A", 31, 30), ("B", 36, 35), ("C", 41, 40)],
    [("A", 30, 29), ("B", 35, 33), ("C", 40, 37)],
], ids=["all equal", "all 1 apart", "people differ, pairs 1 apart", "3 people"])
def test_a_small_or_uniform_study_reads_in_words_without_nan_or_empty_intervals(rows: list[tuple]) -> None:
    study = summarize([Pair("left_internal", float(a), float(b), s) for s, a, b in rows])
    text = html.unescape(_text(pdf.render_html(study, "2026-06-01T10:00:00Z")))
    assert "nan" not in text.lower() and "confidence: —" not in text and "0.0 to 0.0" not in text
    if study["pooled"].get("note"):
        assert f"Left internal rotation: {study['pooled']['note']}." in text
    assert "p 0.000" not in text  # three people whose differences fall on a line: "p < 0.001"


@pytest.mark.parametrize(("p", "said"), [(0.0, "< 0.001"), (0.00049, "< 0.001"), (0.0005, "0.001"),
                                         (0.0421, "0.042"), (None, "—")])
def test_a_p_value_is_written_as_papers_write_it(p: float | None, said: str) -> None:
    assert pdf.p_value(p) == said


def test_the_table_says_how_many_people_the_pairs_of_each_measure_come_from() -> None:
    pairs = [Pair("left_internal", a, b, s) for s, a, b in [
        ("P1", 30, 29), ("P2", 35, 33), ("P3", 40, 37), ("P3", 40, 38), ("P3", 40, 36)]]
    text = _text(pdf.render_html(summarize(pairs), "2026-06-01T10:00:00Z"))
    assert "Measure Pairs (people) Bias" in text and "Left internal rotation 5 (3) " in text
    assert "Left external rotation 0 too few pairs" in text


def test_an_icc_below_0_is_explained_not_left_as_a_puzzle() -> None:
    """Four much-alike people re-tested: ICC(2,1) -1.62 for left IR (psych and pingouin agree), printed
    without a word on what a correlation below 0 means."""
    rows = [("A", 31.9, 29.2), ("B", 29.2, 34.1), ("C", 28.4, 31.9), ("D", 34.1, 28.4)]
    study = summarize([Pair("left_internal", a, b, s) for s, a, b in rows], kind="retest")
    assert round(study["measures"]["left_internal"]["icc_2_1"], 2) == -1.62
    assert ("An ICC below 0 (Left internal rotation, All measures together) is no agreement at all"
            in " ".join(pdf.meaning(study)))
    assert "below 0" not in " ".join(pdf.meaning(summarize(synthetic_pairs(n_subjects=10))))


def test_the_validation_report_is_laid_out_on_a4_or_us_letter_large_enough_with_no_figure_over_another(tmp_path: Path) -> None:
    """It was A4 only: on Letter at actual size its last 50 pt, page numbers with them, were not printed.
    Its text was 8.6 pt, its figures table 7.4 pt and its footer 6.5 pt: now as large as the patient's report
    (10 pt, tables and footer 9 pt), the table's cells wrapping between a figure and its interval.

    Hips much alike give ICCs below 0: "−0.31 [−0.58, 0.05]" ran into the next column and the two
    printed over each other ("0.56]0.30" to pdftotext)."""
    need_poppler()
    rng = np.random.default_rng(1)
    alike = [Pair(m, float(t + 2 + rng.normal(0, 3)), float(t + rng.normal(0, 3)), f"S-{i:02d}")
             for m in MEASURES for i, t in enumerate(35 + rng.normal(0, 0.5, 30))]
    study = summarize(alike)
    assert min(f["icc_2_1_ci"][0] for f in study["measures"].values()) < -0.5
    for sheet in PAPERS.values():
        pages = pdf_pages(pdf.write_pdf(study, tmp_path / f"{sheet.name}.pdf", paper=sheet.name))
        on_the_sheet(pages, sheet)  # nothing under 9 pt: its figures table, footer and page numbers included
        for words in ("What the figures mean", "hiprom's reading of each hip", "Bias: mean of hiprom",
                      f"On average hiprom reads {fmt(study['pooled']['bias_deg'])}°"):
            assert size_of(pages, words) >= BODY_PT, words
    check_replaceable([tmp_path / "a4.pdf"], "a PDF")  # written again by the same command, not refused


def test_the_report_says_how_many_people_and_pairs_of_readings_in_words() -> None:
    pairs = [Pair("left_internal", a, b, s, session, "A", "goniometer") for s, session, a, b in [
        ("P1", "1", 30, 29), ("P1", "1", 30, 28), ("P2", "2", 35, 33), (None, "3", 40, 37), ("P4", "4", 28, 27)]]
    text = html.unescape(_text(pdf.render_html(summarize(pairs), "2026-06-01T10:00:00Z")))
    assert "People and readings 4 people, 5 pairs of readings" in text
    assert ("A pair is hiprom's reading and the goniometer's of one measure of one person at one visit. 1 person "
            "gave more than one pair of a measure (up to 2): each person counts once in every figure, however many "
            "pairs. 1 session without a subject counts as one person.") in text
    assert "This study has 4 people, 5 pairs of readings." in text


def test_the_validation_report_is_tagged_with_its_plots_described(tmp_path: Path) -> None:
    """Tagged for a screen reader, with a title, a language and each plot's figures in its alt text
    (it said "Left IR: scatter and Bland–Altman plot" and no more); the measures head their rows."""
    need_poppler()
    rng = np.random.default_rng(2)
    study = summarize([Pair(m, float(t + 1 + rng.normal(0, 2)), float(t), f"S-{i:02d}")
                       for m in MEASURES for i, t in enumerate(35 + rng.normal(0, 4, 12))])
    found = structure(pdf.write_pdf(study, tmp_path / "v.pdf"))
    assert found.marked and found.lang == "en" and found.shows_title and found.title.startswith("Agreement of hiprom")
    pooled = study["pooled"]
    assert len(found.alts) == len(MEASURES) + 1 and all(found.alts)
    assert (f"bias {shown(pooled['bias_deg'], signed=True)}°, 95% limits of agreement "
            f"{shown(pooled['loa_low_deg'], signed=True)}° to {shown(pooled['loa_high_deg'], signed=True)}°") in found.alts[-1]
    assert found.cells_with_row_heading >= len(MEASURES) * 7
