"""The PDFs read by a screen reader: tagged, with a title and a language, alt text for every picture and
row headings in the tables, laid out and worded exactly as the untagged PDF was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hiprom.report import ReportData, render_html, write_pdf, write_program_pdf
from hiprom.report.paper import chosen_paper
from hiprom.report.weasy import pdf_layout
from hiprom.store import Store

from .pdftools import need_poppler, pdf_text, squeeze, structure
from .test_pdf import _png, _save_history

pytest.importorskip("weasyprint")


def _readable(pdf: Path, title: str) -> list[str]:
    """Check what every hiprom PDF gives a screen reader; its pictures' alt texts."""
    found = structure(pdf)
    assert found.marked and "/Document" in found.tags  # tagged: /MarkInfo and a /StructTreeRoot
    assert found.lang == "en"
    assert found.title.startswith(title) and found.shows_title  # the window shows the title, not the file name
    assert found.alts and all(found.alts), found.alts  # no picture without its words
    return [str(alt) for alt in found.alts]


def test_the_report_is_tagged_with_alt_text_and_row_headings(analysis: dict, tmp_path: Path) -> None:
    """A clinician sends the PDF to a patient who uses a screen reader: it had no tags (no reading order,
    headings or table structure: pdfinfo said "Tagged: no"), its charts' alt texts said only "Each side against
    the reference and the normal bands", and a table's rows had no heading. Now every picture says what it
    shows, with its figures, and each row of the figures tables is headed by its measure."""
    need_poppler()
    data = ReportData(analysis=analysis, snapshots={"left": _png((0, 0, 0)), "right": _png((0, 0, 0))})
    alts = _readable(write_pdf(data, tmp_path / "report.pdf"), "Hip rotation report")
    left = analysis["sides"]["left"]
    assert any(squeeze(f"Left: internal rotation {left['internal_rotation_deg']:.1f}°, external rotation "
                       f"{left['external_rotation_deg']:.1f}°") in squeeze(alt) for alt in alts), alts
    assert any("Picture from the recording of the right leg" in alt for alt in alts), alts
    found = structure(tmp_path / "report.pdf")
    assert {"/H1", "/H2", "/Table", "/TH", "/L"} <= set(found.tags)
    assert found.tags.index("/H1") < found.tags.index("/Table")  # the title is read first, as printed
    # Range of motion and Left–right asymmetry: 3 rows of 9 and 5 figures, each read with its measure (the
    # reference is said in each "% of ref." cell, "73.0% of 45°", rather than a column of its own).
    assert found.cells_with_row_heading >= 3 * (9 + 5)


def test_the_history_table_reads_each_figure_with_its_day(store: Store, analysis: dict, tmp_path: Path) -> None:
    """The history table's rows had no heading: a screen reader read "29.2" under "L IR" without saying of
    which visit. Each row is now headed by its day (TH, scope Row), the first column."""
    need_poppler()
    last = _save_history(store, analysis, "H-1", 3)
    pdf = write_pdf(ReportData.from_store(store, last), tmp_path / "history.pdf")
    # Range of motion and asymmetry as above, and 3 visits of 8 cells (session, 6 figures, L − R arc).
    assert structure(pdf).cells_with_row_heading >= 3 * (9 + 5) + 3 * 8
    assert re.search(r"^Date +Session +L IR", pdf_text(pdf), re.M)


def test_tags_change_nothing_printed(analysis: dict, tmp_path: Path) -> None:
    """The same pages and words as the untagged PDF (the tags are read, not printed)."""
    need_poppler()
    with pdf_layout(chosen_paper("letter")) as layout:
        document = layout(render_html(ReportData(analysis=analysis), "2026-03-02T09:00:00Z"))
        (tmp_path / "plain.pdf").write_bytes(document.write_pdf())
        (tmp_path / "tagged.pdf").write_bytes(document.write_pdf(pdf_tags=True))
    assert pdf_text(tmp_path / "tagged.pdf") == pdf_text(tmp_path / "plain.pdf")


def test_the_home_program_is_tagged(analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    pdf = write_program_pdf(ReportData(analysis=analysis), tmp_path / "program.pdf")
    found = structure(pdf)
    assert found.marked and found.lang == "en" and found.shows_title
    assert found.title.startswith("Home exercise program")
    assert all(found.alts) and "/H1" in found.tags
