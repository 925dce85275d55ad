"""Every PDF on A4 or US Letter: the setting, its default from the locale, and each kind laid out on both sheets.

Every PDF was A4 (595 x 842 pt) whatever the clinic's paper: printed at actual size on Letter
(612 x 792 pt) it lost its bottom 50 pt, the page numbers with it; "Fit to page" shrank the text.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hiprom.cli.main import main
from hiprom.errors import ConfigError, InputError
from hiprom.report import ReportData, charts, write_pdf
from hiprom.report.paper import PAPERS, default_paper, paper
from hiprom.store import Store

from .pdftools import need_fonts, need_poppler, on_the_sheet, pdf_pages, squeeze



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
        store: Store, analysis: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 visits, a 64-character pseudonym, a long name in Spanish and CJK, long notes and e-mail as operator."""
    need_poppler()
    need_fonts("Noto Sans CJK")
    pseudonym = "P-" + "7f3c9a0e1b2d" * 5 + "ab"
    store.add_subject(pseudonym, name="María-Fernanda de los Ángeles Rodríguez-Villaseñor 山田 太郎 김민준",
                      notes="Knee replacement 2019 (left). " * 20)
    for i in range(40):
        visit = copy.deepcopy(analysis)
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
        assert 1 < len(pages) <= 3  # two pages at most, then the home program
        text = squeeze(" ".join(" ".join(p.lines()) for p in pages))
        assert squeeze("山田 太郎 김민준") in text and "Yourhomeexerciseprogram" in text
        last_words = squeeze("Figures are measurements to support a clinician's assessment, not a diagnosis.")
        assert last_words in text  # the report's last paragraph, whole
        # The last visits' figures stay on both sheets (on Letter they cost the angle-over-time chart).
        history = " ".join(" ".join(p.lines()) for p in pages).split("History of this subject")[1]
        assert [line.split()[0] for line in history.split(" #")[1:4]] == ["1", "39", "40"]
        left_out = squeeze("The angle-over-time chart is left out to keep this report to two pages")
        assert (left_out in text) is (sheet.name == "letter") is ("Angleovertime" not in text)
        assert drawn == {"side_bars": 1, "angle_over_time": 1, "trend": 1}  # once, whatever layouts were tried


@pytest.mark.slow
def test_a_retest_with_readings_and_long_notes_keeps_to_two_letter_pages(
        store: Store, analysis: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On US Letter every layout took three pages, the third holding only "Method and references" (4 lines),
    and the home program a fourth sheet. The last layout lists 3 trials and 2 readings and draws the side
    bars 36 mm high instead of 45; the text keeps its size."""
    need_poppler()
    from hiprom.store.references import ReferenceInput

    store.add_subject("P-9", name="Ann Example", notes="Knee replacement 2019 (left); walks with a stick outdoors. " * 6)
    store.save_analysis(analysis, subject="P-9", recorded_utc="2026-03-02T09:00:00Z", operator="J. Smith, PT")
    last = store.save_analysis(analysis, subject="P-9", recorded_utc="2026-03-02T09:40:00Z", operator="J. Smith, PT",
                               notes="Felt stiff on the left after gardening; sat on a firm kitchen chair. " * 9)
    for i in range(4):
        store.add_reference(last.id, ReferenceInput(instrument="goniometer", rater="JS", left_ir_deg=30 + i,
                                                    left_er_deg=40, right_ir_deg=33, right_er_deg=41))
    data = ReportData.from_store(store, last.id)
    assert data.retest and analysis["recommendations"]  # the re-test table, and a home program page
    drawn = Counter[str]()
    monkeypatch.setattr(charts, "side_bars", counted(charts.side_bars, drawn))
    sheet = PAPERS["letter"]
    pages = pdf_pages(write_pdf(data, tmp_path / "retest.pdf", paper=sheet.name))
    on_the_sheet(pages, sheet)
    assert len(pages) == 3  # two, then the home program
    text = squeeze(" ".join(" ".join(p.lines()) for p in pages[:2]))
    assert squeeze("Figures are measurements to support a clinician's assessment, not a diagnosis.") in text
    assert squeeze(f"and {len(analysis['trials']) - 3} more trials, listed in the CSV and JSON exports") in text
    assert drawn["side_bars"] == 2  # once for every layout, once lower for the last


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
