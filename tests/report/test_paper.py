"""Every PDF on A4 or US Letter: the setting, its default from the locale, and each kind laid out on both sheets.

Every PDF was A4 (595 x 842 pt) whatever the clinic's paper: printed at actual size on Letter
(612 x 792 pt) it lost its bottom 50 pt, the page numbers with it; "Fit to page" shrank the text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hiprom.cli.main import main
from hiprom.errors import ConfigError, InputError
from hiprom.assessment import load_catalogue
from hiprom.assessment.program import edit_program
from hiprom.report import ReportData, charts, write_pdf, write_program_pdf
from hiprom.report.exercises import program_context
from hiprom.report.paper import PAPERS, default_paper, paper
from hiprom.report.layouts import LIMITS, MAX_PAGES, MOSTLY_EMPTY
from hiprom.report.pdf import BODY_PT, build_context, draw_charts
from hiprom.store import Store
from hiprom.validation import pdf as validation_pdf

from .pdftools import (Page, need_fonts, need_poppler, on_the_sheet, page_numbers, pdf_pages, pdf_text, size_of,
                       squeeze)

FOOTER_PT = 15 / 25.4 * 72  # report.css's bottom page margin, which holds the footer



@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "a4"),                                                    # no locale at all (a service, a container)
    ({"LANG": "C.UTF-8"}, "a4"),
    ({"LANG": "POSIX"}, "a4"),
    ({"LANG": "en_US.UTF-8"}, "letter"),
    ({"LANG": "fr_CA.UTF-8"}, "letter"),
    ({"LANG": "es_MX"}, "letter"),
    ({"LANG": "en_PH.utf8"}, "letter"),
    ({"LANG": "en_GB.UTF-8"}, "a4"),
    ({"LANG": "de_DE@euro"}, "a4"),
    ({"LANG": "en_US.UTF-8", "LC_PAPER": "de_DE.UTF-8"}, "a4"),     # LC_PAPER rules paper, not LANG
    ({"LC_ALL": "en_CA.UTF-8", "LC_PAPER": "de_DE.UTF-8"}, "letter"),  # ... and LC_ALL rules them all
    ({"LANG": "en_US.UTF-8", "HIPROM_PAPER": "A4"}, "a4"),          # the setting wins over the locale
    ({"LANG": "de_DE.UTF-8", "HIPROM_PAPER": "letter"}, "letter"),
])
def test_the_paper_setting_and_its_default_from_the_locale(environ: dict[str, str], expected: str) -> None:
    assert default_paper(environ).name == expected


def test_a_wrong_paper_is_said_in_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^HIPROM_PAPER='a3' is not a paper: set it to a4 or letter$"):
        default_paper({"HIPROM_PAPER": "a3"})
    with pytest.raises(InputError, match=r"^unknown paper 'tabloid', expecting one of \{a4, letter\}$"):
        paper("tabloid")
    assert PAPERS["letter"].size_pt == (612.0, 792.0) and PAPERS["a4"].size_pt == (595.3, 841.9)



def test_a_long_report_is_laid_out_on_either_sheet_down_to_its_last_line(
        store: Store, analysis: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filmed_again) -> None:
    """40 visits, a 64-character pseudonym, a long name in Spanish and CJK, long notes and e-mail as operator."""
    need_poppler()
    need_fonts("Noto Sans CJK")
    pseudonym = "P-" + "7f3c9a0e1b2d" * 5 + "ab"
    store.add_subject(pseudonym, name="María-Fernanda de los Ángeles Rodríguez-Villaseñor 山田 太郎 김민준",
                      notes="Knee replacement 2019 (left). " * 20)
    for i in range(40):
        visit = filmed_again(analysis)
        visit["sides"]["left"]["internal_rotation_deg"] = 20.0 + i * 0.4
        last = store.save_analysis(visit, subject=pseudonym, recorded_utc=f"{2023 + i // 12}-{i % 12 + 1:02d}-03T09:00:00Z",
                                   operator="ana.maria.nunez.fernandez@hospital-universitario-de-la-princesa.example.org",
                                   notes="Felt stiff on the left after gardening; sat on a firm kitchen chair. " * 9)
    data = ReportData.from_store(store, last.id)
    drawn = Counter[str]()
    for name in ("side_bars", "angle_over_time", "trend"):
        monkeypatch.setattr(charts, name, counted(getattr(charts, name), drawn))
    for sheet in PAPERS.values():
        drawn.clear()
        pages = pdf_pages(write_pdf(data, tmp_path / f"{sheet.name}.pdf", paper=sheet.name))
        on_the_sheet(pages, sheet)
        assert 1 < len(pages) <= MAX_PAGES + 1  # three pages at most, then the home program
        text = squeeze(" ".join(" ".join(p.lines()) for p in pages))
        assert squeeze("山田 太郎 김민준") in text and "Yourhomeexerciseprogram" in text
        last_words = squeeze("Figures are measurements to support a clinician's assessment, not a diagnosis.")
        assert last_words in text  # the report's last paragraph, whole
        # The last visits' figures stay on both sheets (when need be they cost the angle-over-time chart).
        history = " ".join(" ".join(p.lines()) for p in pages).split("History of this subject")[1]
        visits = [line.split()[0] for line in history.split(" #")[1:5]]
        assert visits[0] == "1" and "39" in visits and "40" in visits  # the first, and the last
        left_out = squeeze(f"The angle-over-time chart is left out to keep this report to {MAX_PAGES} pages")
        assert (left_out in text) is ("Angleovertime" not in text)
        assert drawn == {"side_bars": 1, "angle_over_time": 1, "trend": 1}  # once, whatever layouts were tried


@pytest.mark.slow
def test_a_retest_with_readings_and_long_notes_keeps_to_three_letter_pages(
        store: Store, analysis: dict, tmp_path: Path, filmed_again) -> None:
    """On US Letter (at 8.6 pt, two pages at most) every layout took three pages, the third holding only
    "Method and references" (4 lines), and the home program a fourth sheet. The last layout lists 3 trials
    and 2 readings and draws the side bars 36 mm high instead of 45; the text keeps its size, 10 pt now,
    and the report takes up to three pages."""
    need_poppler()
    from hiprom.store.references import ReferenceInput

    store.add_subject("P-9", name="Ann Example", notes="Knee replacement 2019 (left); walks with a stick outdoors. " * 6)
    store.save_analysis(analysis, subject="P-9", recorded_utc="2026-03-02T09:00:00Z", operator="J. Smith, PT")
    last = store.save_analysis(filmed_again(analysis), subject="P-9", recorded_utc="2026-03-02T09:40:00Z",
                               operator="J. Smith, PT",
                               notes="Felt stiff on the left after gardening; sat on a firm kitchen chair. " * 9)
    for i in range(4):
        store.add_reference(last.id, ReferenceInput(instrument="goniometer", rater="JS", left_ir_deg=30 + i,
                                                    left_er_deg=40, right_ir_deg=33, right_er_deg=41))
    data = ReportData.from_store(store, last.id)
    assert data.retest and analysis["recommendations"]  # the re-test table, and a home program page
    sheet = PAPERS["letter"]
    pages = pdf_pages(write_pdf(data, tmp_path / "retest.pdf", paper=sheet.name))
    on_the_sheet(pages, sheet)
    program = [i for i, p in enumerate(pages) if "Yourhomeexerciseprogram" in squeeze(" ".join(p.lines()))]
    assert len(program) == 1 and program[0] <= MAX_PAGES and len(pages) == program[0] + 1  # then one program page
    text = squeeze(" ".join(" ".join(p.lines()) for p in pages[:program[0]]))
    assert squeeze("Figures are measurements to support a clinician's assessment, not a diagnosis.") in text
    drawn = draw_charts(data)
    lowest = build_context(data, compact=len(LIMITS) - 1, drawn=drawn)
    assert len(lowest["trials"]) == 3 and len(lowest["references"]) == 2
    assert lowest["charts"]["bars"] != drawn["bars"]  # drawn lower for the last layout


def _ends_at(page: Page) -> float:
    """How far down ``page`` its text runs, the footer left out, as a fraction of its height."""
    return max(y1 for _, _, _, _, y1 in page.words if y1 < page.height_pt - FOOTER_PT) / page.height_pt


@pytest.mark.parametrize(("sheet", "pseudonym"), [
    ("a4", "山田太郎-東京都立病院リハビリテーション科-外来患者-二〇二六年三月-00042"),  # 40 characters
    ("letter", "P-0042"),
])
def test_a_typical_report_takes_two_pages_none_mostly_empty(
        store: Store, analysis: dict, tmp_path: Path, sheet: str, pseudonym: str) -> None:
    """One test: on A4 the third page held only "Method and references" and the signature lines (59 mm of
    272 mm), and beside a long pseudonym the title wrapped ("Seated hip rotation: range of" / "motion").
    Now two pages, on either sheet, its text at its sizes, the title on one line."""
    need_poppler()
    need_fonts("Noto Sans CJK")
    assert len(pseudonym) >= 40 or sheet == "letter"
    store.add_subject(pseudonym, name="Ann Example", date_of_birth="1950-05-17")
    record = store.save_analysis(analysis, subject=pseudonym, operator="J. Smith, PT")
    pages = pdf_pages(write_pdf(ReportData.from_store(store, record.id), tmp_path / "report.pdf", paper=sheet))
    on_the_sheet(pages, PAPERS[sheet])  # nothing under 9 pt, nothing in the margins
    report = [page for page, number in zip(pages, page_numbers(pages)) if number.startswith("Page ")]
    assert len(report) == 2 and _ends_at(report[-1]) > MOSTLY_EMPTY
    assert "Seated hip rotation: range of motion" in report[0].lines()[:2]
    title_y, subject_y = (next(y for text, _, _, _, y in report[0].words if text == word) for word in ("Seated", "Subject"))
    subtitle = "Internal and external rotation of both hips, from video".split()
    beside = "".join(text for text, _, _, _, y1 in report[0].words  # in reading order, the subtitle's words left out
                     if title_y < y1 < subject_y - 9 and text not in subtitle)
    assert squeeze(pseudonym) in re.sub(r"·session#\d+·[\d-]+", "", beside)  # beside the subtitle, under the title
    assert size_of(report, "What this report means.") >= BODY_PT


LONG_NOTE = ("Left hip stiff after gardening for two weeks; pain 3/10 on internal rotation. Uses a stick outdoors. "
             "Previous right hip arthroscopy 2019. Sleeps better since starting the program; asked about returning "
             "to tennis. Re-test in four weeks with the same chair and camera place.")


LONG_OPERATOR = "Dr. Bartholomew Konstantinos Papadopoulos-Richardson, PT, DPT, OCS, Senior Musculoskeletal Physiotherapist"


@pytest.mark.parametrize(("sheet", "name", "operator", "notes", "trace_kept"), [
    ("a4", "Ann Example", "J. Smith, PT", None, True),  # the demo subject as a clinic saves it: it lost its trace
    ("a4", "山田 太郎 / やまだ たろう", "佐藤 花子", None, True),
    ("a4", "Maria Fernanda de los Santos Gutiérrez-Oyarzábal y Fernández de Córdoba",
     "Dr. A. Konstantinopoulou-Weatherby, PT", LONG_NOTE, False),
    ("letter", "Ann Example", "J. Smith, PT", LONG_NOTE, False),
], ids=["a4-named", "a4-cjk", "a4-long-name-and-note", "letter-long-note"])
def test_a_report_with_real_long_inputs_keeps_two_pages_and_says_what_it_leaves_out(
        store: Store, analysis: dict, tmp_path: Path, sheet: str, name: str, operator: str, notes: str | None,
        trace_kept: bool) -> None:
    """The demo subject's report (nine trials, two undecided differences) lost its angle-over-time chart on A4
    and on Letter alike, with a name or without, for want of 18 mm, while its last page would have held the
    norms' sources and the signature lines. The sources now go to the JSON export first (a line says so), so
    a typical A4 report keeps its trace; where the trace must still go (Letter, a long note), a line says so,
    and what a layout leaves out is never left out silently."""
    need_poppler()
    need_fonts("Noto Sans CJK")
    store.add_subject("P-0042", name=name, date_of_birth="1950-05-17")
    record = store.save_analysis(analysis, subject="P-0042", operator=operator, notes=notes)
    pdf = write_pdf(ReportData.from_store(store, record.id), tmp_path / "report.pdf", paper=sheet)
    pages = pdf_pages(pdf)
    on_the_sheet(pages, PAPERS[sheet])
    report = [page for page, number in zip(pages, page_numbers(pages)) if number.startswith("Page ")]
    assert len(report) == 2 and _ends_at(report[-1]) > MOSTLY_EMPTY
    text = " ".join(" ".join(page.lines()) for page in report)
    assert ("Angle over time" in text) == trace_kept
    if not trace_kept:
        assert "The angle-over-time chart is left out to save a page; its series is in the JSON export." in text
    assert "Sources: " in text or "sources of the normal bands, the reference and the MDC are listed in the JSON" in text
    assert all(squeeze(words) in squeeze(text) for words in (notes or "").split(". "))  # the note whole


def test_a_letter_report_too_long_for_two_pages_breaks_between_sections_and_reads_in_order(
        store: Store, analysis: dict, tmp_path: Path) -> None:
    """US Letter, a long name, a long operator and a clinician's note: three pages (A4 holds two; on Letter the
    trials, quality, notes, method and signature lines take a third, kept whole). The header set the operator
    wrapped on four lines beside the source, so the text as pasted into a records system read "Dr. Bartholomew
    Konstantinos / Source / Papadopoulos-Richardson, PT, DPT," and the name "FitzgeraldWorthington" (its
    hyphen lost at the line's end). A long value now has the header's row to itself, and each page breaks
    between sections: one starts with a heading, none ends with one, the quality list whole under its
    heading, the signature lines with the method."""
    need_poppler()
    name = "Maximilian Alexander Fitzgerald-Worthington"
    store.add_subject("P-0042", name=name, date_of_birth="1950-05-17")
    record = store.save_analysis(analysis, subject="P-0042", operator=LONG_OPERATOR, notes=LONG_NOTE)
    pdf = write_pdf(ReportData.from_store(store, record.id), tmp_path / "report.pdf", paper="letter")
    pages = pdf_pages(pdf)
    on_the_sheet(pages, PAPERS["letter"])
    report = [page for page, number in zip(pages, page_numbers(pages)) if number.startswith("Page ")]
    assert len(report) == MAX_PAGES and _ends_at(report[-1]) > MOSTLY_EMPTY
    headings = ("Left–right asymmetry", "Angle over time", "Trials", "Quality and compensation", "Notes",
                "Method and references")
    for page in report[1:]:
        body = [line for line in page.lines() if not line.startswith(("P-0042 · session", "hiprom 0.1.0 · "))]
        assert body[0] in headings and body[-1] not in headings, body
    quality = next(page for page in report if "Quality and compensation" in page.lines())
    assert any(line.startswith("• Measurable frames") for line in quality.lines())
    assert any("did not count: hip lifted off the seat" in line for line in quality.lines())
    assert "Clinician" in " ".join(next(p for p in report if "Method and references" in p.lines()).lines())
    first = report[0].lines()
    assert f"Name {name}" in first  # on one line, not broken at its hyphen (pasted: "FitzgeraldWorthington")
    operator = next(i for i, line in enumerate(first) if line.startswith("Operator "))
    assert squeeze(" ".join(first[operator:operator + 2])) == squeeze(f"Operator {LONG_OPERATOR}")  # nothing beside it
    text = pdf_text(pdf, layout=False).split("Page 1 of")[0]  # as pasted: in reading order
    assert squeeze(LONG_OPERATOR) in squeeze(text) and name in text


def counted(draw: Callable[..., Any], drawn: Counter[str]) -> Callable[..., Any]:
    """``draw`` that counts its calls in ``drawn`` under its name."""
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        drawn[draw.__name__] += 1
        return draw(*args, **kwargs)
    return wrapper


def test_the_home_program_is_one_page_of_the_paper_set_or_asked_for(
        store: Store, analysis: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``hiprom program pdf``: HIPROM_PAPER chooses the paper once; --paper chooses for one sheet."""
    need_poppler()
    store.add_subject("P-1", name="山田 太郎")
    store.save_analysis(analysis, subject="P-1")
    monkeypatch.setenv("HIPROM_PAPER", "letter")
    command = ["program", "pdf", "1", "--db", str(tmp_path / "hiprom.db"), "-o"]  # the store fixture's file
    for args, sheet in ((["letter.pdf"], PAPERS["letter"]), (["a4.pdf", "--paper", "a4"], PAPERS["a4"])):
        assert main([*command[:-1], "-o", str(tmp_path / args[0]), *args[1:]]) == 0
        pages = pdf_pages(tmp_path / args[0])
        on_the_sheet(pages, sheet)
        assert len(pages) == 1 and pages[0].lines()[-2].split() == ["Clinician", "Signature", "Date"]
    monkeypatch.setenv("HIPROM_PAPER", "a3")
    capsys.readouterr()
    assert main([*command, str(tmp_path / "a3.pdf")]) == 2
    assert capsys.readouterr().err == "hiprom: error: HIPROM_PAPER='a3' is not a paper: set it to a4 or letter\n"
    assert not (tmp_path / "a3.pdf").exists()


def test_every_kind_of_pdf_is_printed_large_enough_for_an_older_patient(
        store: Store, analysis: dict, tmp_path: Path, filmed_again) -> None:
    """Running text was 8.6 pt (the home program 8 pt, tables 7.4 pt, the page numbers 7 pt), small for an
    older patient. It is 10 pt now, tables and the page's header and footer 9 pt, and the pages it takes:
    a 12-exercise program takes two, each with its number among the sheets and whose sheet it is, so loose
    sheets stay together. The report, its re-test table and a long program, on Letter; the program alone on A4."""
    need_poppler()
    store.add_subject("P-0042", name="Ann Example", date_of_birth="1950-05-17")
    store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z", operator="J. Smith, PT")
    retest = store.save_analysis(filmed_again(analysis), subject="P-0042", recorded_utc="2026-03-02T09:40:00Z",
                                 operator="J. Smith, PT")
    catalogue = load_catalogue()
    program = edit_program({"items": []}, catalogue, add=[(ex.id, None) for ex in catalogue.exercises])
    store.set_program(retest.id, {**program, "items": program["items"][:12]})
    data = ReportData.from_store(store, retest.id)
    assert data.retest and len(program_context(data)["items"]) == 12

    report = pdf_pages(write_pdf(data, tmp_path / "report.pdf", paper="letter"))
    on_the_sheet(report, PAPERS["letter"])  # nothing under 9 pt, nothing in the margins
    for words in ("What this report means.", "We measured how far each hip turns", "Angles in degrees (°).",
                  "Differences smaller than", "Best valid internal and external rotation", "measured by hiprom"):
        assert size_of(report, words) >= BODY_PT, words
    assert size_of(report, "Seated hip rotation:") > size_of(report, "Range of motion (degrees)") > BODY_PT
    text = squeeze(" ".join(" ".join(p.lines()) for p in report))
    assert squeeze("Re-test: compared with the earlier test") in text
    # A two-page program is not counted against the report's pages: the report keeps its trace (it was
    # laid out ever more compactly, down to its last layout, to leave one page for the program).
    assert "Angleovertime" in text
    program_pages = [p for p in report if "Yourhomeexerciseprogram" in squeeze(" ".join(p.lines()))]
    assert len(program_pages) == 1 and report[-2] is program_pages[0]
    assert report[-1].lines()[0] == "Ann Example · 2026-03-02"  # the program's second sheet: whose it is
    # The sheets are numbered as their own, as when printed alone (they were "Page 4 of 5" and "Page 5 of 5",
    # the report's "Page 1 of 5" to "Page 3 of 5").
    sheets = ["Exercise sheet 1 of 2", "Exercise sheet 2 of 2"]
    assert page_numbers(report) == [f"Page {i} of {len(report) - 2}" for i in range(1, len(report) - 1)] + sheets

    alone = pdf_pages(write_program_pdf(data, tmp_path / "program.pdf", paper="a4"))
    on_the_sheet(alone, PAPERS["a4"])
    assert page_numbers(alone) == sheets
    for words in ("Safety first.", "Sit upright with both feet flat", "Repeat the test the same way"):
        assert size_of(alone, words) >= BODY_PT, words
    for page in alone:
        assert any(line.endswith("Ann Example · 2026-03-02") for line in page.lines()[:3])  # the title's, the top
    assert alone[-1].lines()[-2].split() == ["Clinician", "Signature", "Date"]


def _luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour ``#rgb`` or ``#rrggbb`` (WCAG 2.x)."""
    digits = hex_colour.lstrip("#")
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    linear = [(v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4)
              for v in (int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("stylesheet", [Path(charts.__file__).parent / "templates" / "report.css",
                                        Path(validation_pdf.__file__).parent / "templates" / "validation.html"],
                         ids=["report", "validation"])
def test_every_text_colour_reads_at_wcag_aa_contrast(stylesheet: Path) -> None:
    """The footer's grey (#777, 4.48:1) and the green "within" (#2b8a3e, 4.37:1) were under the 4.5:1 of
    WCAG AA on white, and the tables' grey figures (#6b7680) 4.12:1 on their headings' ground. The
    validation report's own rules (over report.css) had the footer's #777 too."""
    css = stylesheet.read_text(encoding="utf-8")
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})\b", css))
    assert len(colours) > 3
    for ground in ("#ffffff", "#eef2f6"):  # the page, and the tables' headings and the summary's ground
        for colour in colours:
            light, dark = sorted((_luminance(colour), _luminance(ground)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 4.5, (colour, ground)
