"""The report's tables copied as text (select-all and copy in a PDF viewer, ``pdftotext`` with and without
-layout) into a clinic's records system: each figure comes with its side and its unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from hiprom.report import ReportData, write_pdf
from hiprom.report.figures import fmt, summary
from hiprom.report.rows import measure_rows, percent
from hiprom.store import Store

from .pdftools import need_poppler, pdf_text

pytest.importorskip("weasyprint")


def test_each_figure_of_the_tables_is_copied_with_its_side_and_unit(analysis: dict, tmp_path: Path) -> None:
    """The range-of-motion table pasted as "Internal rotation 32.8 1.8 73.0% 2 37.9 1.8 84.2% 2 45° 30–40°":
    in order, but nothing said which side a figure was of, nor which number was the ± or the share of the
    reference. Now it reads "L 32.8° ± 1.8° 73.0% of 45° 2 trials R 37.9° ...", the asymmetry
    "L − R −5.1° ± 2.5°" and each trial "37.9° ± 1.7° 5.9 s", in the reading order and in the layout's."""
    need_poppler()
    pdf = write_pdf(ReportData(analysis=analysis), tmp_path / "report.pdf", paper="a4")
    fig = summary(analysis)
    rows = measure_rows(fig)
    for layout in (False, True):
        text = " ".join(pdf_text(pdf, layout=layout).split())
        for row in rows:
            for side in ("left", "right"):
                c = row["sides"][side]
                cell = f"{side[0].upper()} {fmt(c['deg'])}° ± {fmt(c['unc'])}° {percent(c['pct'])} of {fmt(row['norm'], 0)}°"
                if row["key"] != "total_arc":
                    cell += f" {c['trials']} trial{'s' if c['trials'] != 1 else ''}"
                assert cell in text, (layout, cell)
            diff = fmt(row["diff"]).replace("-", "−")
            assert f"L − R {diff}° ± {fmt(row['diff_unc'])}°" in text, (layout, row["label"])
        for trial in fig["trials"]:
            cells = f"{fmt(trial['peak_deg'])}° ± {fmt(trial['peak_unc_deg'])}° {fmt(trial['peak_t_s'])} s"
            assert cells in text, (layout, cells)


def test_the_history_and_the_instruments_readings_are_copied_with_sides_and_units(
        store: Store, analysis: dict, tmp_path: Path, filmed_again) -> None:
    """The history and the instrument's readings pasted "2026-03-02 #1 32.8 27.0 59.8 37.9 ..." and
    "Goniometer JS 30.0 40.0 33.0 41.0": now each figure says its side, measure and unit
    ("L IR 32.8° ER 27.0° arc 59.8° R IR ...", "L IR 30.0° L ER 40.0° ...")."""
    need_poppler()
    from hiprom.store.references import ReferenceInput

    store.save_analysis(analysis, subject="P-1", recorded_utc="2026-03-02T09:00:00Z")
    last = store.save_analysis(filmed_again(analysis), subject="P-1", recorded_utc="2026-04-02T09:00:00Z")
    store.add_reference(last.id, ReferenceInput(instrument="goniometer", rater="JS", left_ir_deg=30, left_er_deg=40,
                                                right_ir_deg=33, right_er_deg=41))
    pdf = write_pdf(ReportData.from_store(store, last.id), tmp_path / "report.pdf", paper="a4")
    s = {side: analysis["sides"][side] for side in ("left", "right")}
    # the first visit's row of the history
    history = " ".join(f"{side[0].upper()} IR {fmt(s[side]['internal_rotation_deg'])}° "
                       f"ER {fmt(s[side]['external_rotation_deg'])}° arc {fmt(s[side]['total_arc_deg'])}°"
                       for side in ("left", "right"))
    for layout in (False, True):
        text = " ".join(pdf_text(pdf, layout=layout).split())
        assert history in text, layout
        assert "Goniometer JS L IR 30.0° L ER 40.0° R IR 33.0° R ER 41.0°" in text, layout


@pytest.mark.parametrize(("name", "operator", "source"), [
    (None, None, "clinic-room-2/P-0042/2026-03-02_session_1.mp4"),
    ("Dr. Bartholomew Konstantinos Papadopoulos-Richardson", "JS", "gt06.mp4"),
], ids=["no-name-long-source", "long-name-short-source"])
def test_each_header_label_is_copied_with_its_value(store: Store, analysis: dict, tmp_path: Path,
                                                    name: str | None, operator: str | None, source: str) -> None:
    """Without a name and with a long source file, the header pasted (pdftotext, as a viewer's select-all and
    copy) "Subject P-0042 Assessed Source clinic-room-2/… Pose model … 2026-03-02 09:00 UTC": the time of the
    test read after the pose model; beside a long name, "Source Pose model … gt06.mp4". Each label now pastes
    with its value, in the reading order and in the layout's."""
    need_poppler()
    store.add_subject("P-0042", name=name)
    analysis.update(source=source, model="pose_landmarker_full")  # a video's, as a clinic's are
    record = store.save_analysis(analysis, subject="P-0042", operator=operator, recorded_utc="2026-03-02T09:00:00Z")
    pdf = write_pdf(ReportData.from_store(store, record.id), tmp_path / "report.pdf", paper="a4")
    pairs = [("Subject", "P-0042"), ("Assessed", "2026-03-02 09:00 UTC"), ("Name", name), ("Operator", operator),
             ("Source", source)]
    for layout in (False, True):
        text = " ".join(pdf_text(pdf, layout=layout).split())
        for label, value in pairs:
            assert value is None or f"{label} {value}" in text, (layout, label, text[:400])
