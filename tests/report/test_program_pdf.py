"""Acceptance: limited left internal rotation gives left-IR exercises on the PDF; all in band gives none."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.assessment import assess
from hiprom.kinematics import measure
from hiprom.report import ReportData, write_pdf, write_program_pdf
from hiprom.synthetic import Trial, protocol, seated_recording

from .pdftools import need_poppler, page_images, pdf_text, squeeze

pytest.importorskip("weasyprint")

IN_BAND = [Trial("right", "internal", 35.0), Trial("right", "external", 47.0),
           Trial("left", "internal", 34.0), Trial("left", "external", 45.0)]
LIMITED = [Trial("right", "internal", 35.0), Trial("right", "external", 47.0),
           Trial("left", "internal", 24.0), Trial("left", "external", 45.0)]


def _analysis(trials: list[Trial]) -> dict:
    _, rot = protocol(trials, fps=30.0)
    rec = seated_recording(rot, fps=30.0, image_noise_px=0.6, world_noise_m=0.002, seed=5)
    return assess(measure(rec), fps=30.0)


def test_limited_left_internal_rotation_prints_a_left_program(tmp_path: Path) -> None:
    need_poppler()
    analysis = _analysis(LIMITED)
    assert {(r["side"], r["direction"]) for r in analysis["recommendations"]} <= {("left", "internal"), ("both", "internal")}
    data = ReportData(analysis=analysis)
    text = pdf_text(write_pdf(data, tmp_path / "report.pdf"))
    assert "Your home exercise program" in text
    flat = squeeze(pdf_text(tmp_path / "report.pdf", layout=False))  # the program is in two columns
    assert squeeze("Chair rotation, foot outward · left leg · hold") in flat  # lines of two columns interleave
    figure = analysis["sides"]["left"]["internal_rotation_deg"]  # the table's figure, to the same decimal
    assert squeeze(f"left internal rotation {figure:.1f}°, below") in flat and squeeze("the 30–40° band") in flat
    assert "right leg" not in text  # nothing for the right side
    alone = write_program_pdf(data, tmp_path / "program.pdf")
    assert len(page_images(alone)) == 1  # the home program fits one page
    assert squeeze("Safety first") in squeeze(pdf_text(alone)) and squeeze("Stop if it hurts") in squeeze(pdf_text(alone))


def test_everything_in_band_prints_no_program(tmp_path: Path) -> None:
    need_poppler()
    analysis = _analysis(IN_BAND)
    assert analysis["recommendations"] == []
    text = pdf_text(write_pdf(ReportData(analysis=analysis), tmp_path / "report.pdf"))
    assert "home exercise program" not in text and "Range of motion" in text


def test_a_stiff_pair_of_hips_still_gets_two_pages_to_take_home(tmp_path: Path) -> None:
    """Every direction below its band on both sides: the program is eight exercises on two pages (at 10 pt), not four."""
    need_poppler()
    analysis = _analysis([Trial("right", "internal", 22.0), Trial("right", "external", 26.0),
                          Trial("left", "internal", 20.0), Trial("left", "external", 25.0)])
    assert {r["direction"] for r in analysis["recommendations"]} == {"internal", "external"}
    alone = write_program_pdf(ReportData(analysis=analysis), tmp_path / "program.pdf")
    assert len(page_images(alone)) == 2
    text = pdf_text(alone)
    assert "left leg" in text and "right leg" in text and "Chair rotation, foot inward" in text
