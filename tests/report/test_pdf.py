"""The PDF report: figures equal to the export, one or two A4 pages, charts drawn, user text intact."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
import unicodedata
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hiprom.assessment.wording import MEASURE_LABELS, PLUS_MINUS
from hiprom.errors import HipromError
from hiprom.landmarks import SIDES
from hiprom.report import ReportData, export_json, render_html, render_pdf, write_pdf
from hiprom.report import charts
from hiprom.report.charts import SIDE_COLORS
from hiprom.report.exercises import exercises_done
from hiprom.report.figures import MEASURES, fmt
from hiprom.report.layouts import LIMITS, MAX_PAGES
from hiprom.report.pdf import build_context, draw_charts
from hiprom.rounding import shown
from hiprom.store import Store

from .pdftools import colour_fraction, need_fonts, need_poppler, page_images, pdf_pages, pdf_text, squeeze, table_row

pytest.importorskip("weasyprint")

BLUE = tuple(int(SIDE_COLORS["left"][i:i + 2], 16) for i in (1, 3, 5))
ORANGE = tuple(int(SIDE_COLORS["right"][i:i + 2], 16) for i in (1, 3, 5))
TRICKY_NAME = 'Dana "DJ" O\'Neil <script>alert(1)</script> 😀 שלום עולם مرحبا'


def _png(rgb: tuple[int, int, int], size: tuple[int, int] = (320, 240)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, "PNG")
    return buf.getvalue()


def _save_history(store: Store, analysis: dict, subject: str, n: int) -> int:
    """``n`` visits of ``subject`` a month apart, each filmed anew; returns the id of the last."""
    for i in range(n):
        a = copy.deepcopy(analysis)
        a["sides"]["left"]["internal_rotation_deg"] = 25.0 + i
        a["recording_sha256"] = f"{i + 1:064x}"
        last = store.save_analysis(a, subject=subject, operator="J. Smith",
                                   recorded_utc=f"2026-{i % 12 + 1:02d}-0{i // 12 + 1}T09:00:00Z")
    return last.id


def test_the_method_names_the_version_and_model_file_that_measured(store: Store, analysis: dict) -> None:
    """A report printed by a newer hiprom said "measured by hiprom <the printing version>" of a session an
    older one measured, and named the model only by its variant; now the measuring version, the model
    file's SHA-256 (its first 12 digits) and the MediaPipe version, where the analysis has them."""
    software = {"hiprom": "0.0.9", "numpy": "2.4.6", "python": "3.11.7", "mediapipe": "0.10.14", "opencv": "4.11.0"}
    measured = {**analysis, "model": "pose_landmarker_full", "hiprom_version": "0.0.9",
                "model_sha256": "0cec0df2b593" + "0" * 52, "software": software}
    store.add_subject("P-7")
    record = store.save_analysis(measured, subject="P-7")
    text = " ".join(re.sub(r"<[^>]+>", " ", render_html(ReportData.from_store(store, record.id))).split())
    assert ("measured by hiprom 0.0.9 from pose landmarks (pose_landmarker_full, model file SHA-256 0cec0df2b593…, "
            "MediaPipe 0.10.14):") in text


def test_pdf_figures_equal_the_json_export_and_it_renders(store: Store, analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    store.add_subject("P-0042", name="Ann Example", date_of_birth="1984-05-17")
    record = store.save_analysis(analysis, subject="P-0042", operator="J. Smith, PT")
    data = ReportData.from_store(store, record.id)
    pdf = write_pdf(data, tmp_path / "report.pdf")
    exported = json.loads(json.dumps(export_json([data])))["summary"]
    text = pdf_text(pdf)

    for m in MEASURES:
        row = table_row(text, MEASURE_LABELS[m], 0)  # the range-of-motion table: "L 32.8° ± 1.8° 73.0% of 45° 2 trials"
        expected = []
        for side in ("left", "right"):
            s = exported["sides"][side]
            expected += [side[0].upper(), fmt(s[f"{m}_deg"]) + "°", "±", fmt(s[f"{m}_unc_deg"]) + "°",
                         fmt(s[f"{m}_pct_norm"]) + "%", "of", "90°" if m == "total_arc" else "45°"]
            if m != "total_arc":
                trials = s[f"{m.split('_')[0]}_trials"]
                expected += [str(trials), "trial" if trials == 1 else "trials"]
        assert [t for t in row if "–" not in t] == expected
        asym = table_row(text, MEASURE_LABELS[m], 1)  # the asymmetry table: "L − R −5.1° ± 2.5° 13.5%"
        a_ = exported["asymmetry"]
        assert asym[:6] == ["L", "−", "R", shown(a_[f"{m}_deg"], signed=True) + "°", "±",
                            fmt(a_.get(f"{m}_unc_deg")) + "°"]
        assert asym[6] == fmt(a_[f"{m}_pct"]) + "%"
    assert ("Asymmetry flagged" in text) == exported["asymmetry"]["flagged"]
    assert "P-0042" in text and "Ann Example" in text and "1984-05-17" in text and "J. Smith, PT" in text
    # A records system lists PDFs by title and author: every report of a subject was titled alike
    # ("Hip rotation report · P-0042") and had no author.
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    day = data.session_date.isoformat()
    assert f"Title:           Hip rotation report · P-0042 · session #{record.id} · {day}" in info
    assert "Author:          J. Smith, PT" in info and "CreationDate:" in info
    assert "Creator:         hiprom " in info  # what tells it from a PDF hiprom may not replace (hiprom.overwrite)

    pages = page_images(pdf)
    assert 1 <= len(pages) <= MAX_PAGES + 1  # three at most, and the home program page (the demo suggests exercises)
    assert ("Your home exercise program" in text) == bool(analysis["recommendations"])
    assert pages[0].shape[0] > pages[0].shape[1]  # portrait
    # the bar chart and the angle-over-time chart draw both sides' colours (page 1, or whole on page 2
    # when the figures' explanations fill page 1)
    assert any(colour_fraction(p, BLUE, 30) > 0.004 and colour_fraction(p, ORANGE, 30) > 0.004 for p in pages[:MAX_PAGES])
    html = render_html(data)
    assert 'id="chart-sides"' in html and 'id="chart-time"' in html and 'id="chart-trend"' not in html


def test_history_of_earlier_sessions_adds_the_trend_chart(store: Store, analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    last = _save_history(store, analysis, "H-1", 3)
    data = ReportData.from_store(store, last)
    assert [h.id for h in data.earlier] == [last - 2, last - 1]
    assert 'id="chart-trend"' in render_html(data)
    pdf = write_pdf(data, tmp_path / "history.pdf")
    text = pdf_text(pdf)
    assert "History of this subject" in text
    assert "2026-01-01" in text and "2026-02-01" in text  # earlier sessions in the table
    pages = page_images(pdf)
    assert len(pages) <= MAX_PAGES + 1  # three at most, then the home program
    assert any(colour_fraction(p, BLUE, 30) > 0.0005 for p in pages[1:-1])  # trend lines after page 1


def _trend_points(data: ReportData, monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], int | None] | None:
    """The sessions the report's trend chart draws a point for, and the one it rings (``None``: no chart)."""
    drawn: list[tuple[list[int], int | None]] = []

    def spy(history, current_id, *args, **kwargs):
        drawn.append(([h.id for h in history], current_id))
        return real(history, current_id, *args, **kwargs)

    real = charts.trend
    monkeypatch.setattr(charts, "trend", spy)
    uri = draw_charts(data)["trend"]
    monkeypatch.setattr(charts, "trend", real)
    return drawn[-1] if uri else None


def test_a_recording_analysed_again_is_one_visit_in_the_history(store: Store, analysis: dict, tmp_path: Path,
                                                                filmed_again, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same analysis saved twice is one measurement: its row says so, with no marks, and the trend
    chart draws it once (as ``hiprom trend`` says), not as a visit of its own."""
    need_poppler()
    first = store.save_analysis(analysis, subject="R-1", recorded_utc="2026-03-02T09:00:00Z")
    again = store.save_analysis(analysis, subject="R-1", recorded_utc="2026-03-09T09:00:00Z")
    better = filmed_again(analysis)
    better["sides"]["left"]["external_rotation_deg"] += 15.0
    later = store.save_analysis(better, subject="R-1", recorded_utc="2026-04-02T09:00:00Z")

    data = ReportData.from_store(store, later.id)
    assert _trend_points(data, monkeypatch) == ([first.id, later.id], later.id)  # two visits, this one ringed
    text = pdf_text(write_pdf(data, tmp_path / "later.pdf"))
    # (in reading order: the words wrap in their cell, and the layout interleaves the row's figures between their lines)
    flat = " ".join(pdf_text(tmp_path / "later.pdf", layout=False).split())
    assert f"#{again.id} — the recording of #{first.id} analysed again" in flat
    assert "A recording analysed again is one visit, drawn once." in flat
    # Each visit's row is headed by its day.
    assert "↑" in "".join(table_row(text, "2026-04-02"))  # the real re-test is still marked against #1
    row = "".join(table_row(text, "2026-03-09"))
    assert "↑" not in row and "↓" not in row

    # The re-analysis's own report: one visit so far, no trend to draw, the row still says what it is.
    data = ReportData.from_store(store, again.id)
    assert _trend_points(data, monkeypatch) is None
    flat = " ".join(pdf_text(write_pdf(data, tmp_path / "again.pdf"), layout=False).split())
    assert "History of this subject" in flat
    assert f"#{again.id} — the recording of #{first.id} analysed again" in flat


def test_user_text_with_quotes_html_emoji_and_rtl_appears_as_typed(
    store: Store, analysis: dict, tmp_path: Path
) -> None:
    need_poppler()
    need_fonts("Noto Color Emoji", "Noto Sans Arabic", "Noto Sans Hebrew")
    store.add_subject("רות-1", name=TRICKY_NAME, notes="مرحبا بكم: <b>not bold</b> & \"quoted\" 🦄")
    record = store.save_analysis(analysis, subject="רות-1", operator="أحمد <i>op</i>",
                                 notes="Re-test «soon» 'ok' </div></body>")
    data = ReportData.from_store(store, record.id)
    html = render_html(data)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>not bold</b>" not in html and "&lt;/div&gt;&lt;/body&gt;" in html
    assert 'dir="rtl">רות-1<' in html and 'dir="ltr">Dana' in html  # the dir="auto" rule, computed
    pdf = write_pdf(data, tmp_path / "tricky.pdf")
    flat = squeeze(pdf_text(pdf, layout=False))
    # (no lam-alef in the Arabic: text extraction splits that ligature in reverse order)
    typed_texts = (TRICKY_NAME, "רות-1", "أحمد <i>op</i>", "Re-test «soon» 'ok' </div></body>",
                   "مرحبا بكم: <b>not bold</b> & \"quoted\" 🦄")
    for typed in typed_texts:
        if any(unicodedata.bidirectional(c) in ("R", "AL") for c in typed):
            # Right-to-left text is laid out right to left; text extraction returns its runs in
            # visual order, so check every word (letters in reading order) and every emoji.
            for word in re.findall(r"\w+|[\U0001F300-\U0001FAFF]", typed):
                assert word in flat, (word, typed)
        else:
            assert squeeze(typed) in flat, typed
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Color-Emoji" in fonts  # emoji drawn from the colour emoji font
    assert len(page_images(pdf)) <= MAX_PAGES + 1  # three at most, and the home program page


def test_chinese_japanese_and_korean_names_print_as_letters_not_boxes(
    store: Store, fixture_analysis: dict, tmp_path: Path
) -> None:
    need_poppler()
    need_fonts("Noto Sans CJK")  # .ci/run installs fonts-noto-cjk; without it these names were empty boxes
    store.add_subject("P-CJK", name="山田 太郎 / 김민준 / 王小明 / やまだ たろう。")
    record = store.save_analysis(fixture_analysis, subject="P-CJK", operator="佐藤 花子")
    pdf = write_pdf(ReportData.from_store(store, record.id), tmp_path / "cjk.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts  # drawn from a font that has these letters
    assert "山田太郎/김민준/王小明/やまだたろう。" in squeeze(pdf_text(pdf, layout=False)) and "佐藤花子" in squeeze(pdf_text(pdf))
    # Kana and CJK punctuation (U+3000-30FF) were asked of the emoji font, which has none of them:
    # "やまだ たろう。" was in the text layer but printed as blank space.
    page, dpi = page_images(pdf, dpi=100)[0], 100
    kana = [w for w in pdf_pages(pdf)[0].words if set(w[0]) & set("やまだたろう。")]
    assert kana
    for text, x0, _, x1, y1 in kana:  # the word's box, one 9 pt line high (a blank glyph's box has no height)
        ink = page[round((y1 - 9) * dpi / 72):round(y1 * dpi / 72), round(x0 * dpi / 72):round(x1 * dpi / 72)]
        assert ink.size and (ink.min(axis=2) < 128).mean() > 0.05, text  # drawn, not blank


def test_a_long_unbroken_pseudonym_or_address_stays_on_the_page(store: Store, fixture_analysis: dict,
                                                                tmp_path: Path) -> None:
    # A 64-character pseudonym (the most allowed) and an e-mail address as operator ran off the right
    # edge of page 1 and squeezed the title into a column ("Seated / hip / rotation: / range of / motion").
    need_poppler()
    pseudonym = "P-" + "7f3c9a0e1b2d" * 5 + "ab"
    store.add_subject(pseudonym)
    operator = "ana.maria.nunez.fernandez@hospital-universitario-de-la-princesa.example.org"
    record = store.save_analysis(fixture_analysis, subject=pseudonym, operator=operator)
    pdf = write_pdf(ReportData.from_store(store, record.id), tmp_path / "long.pdf")
    assert squeeze("Seated hip rotation: range of motion") in squeeze(pdf_text(pdf))
    page = page_images(pdf, dpi=50)[0]
    margin = round(10 / 25.4 * 50)  # the outer 10 mm of the 14 mm right margin
    assert (page[:, -margin:] > 240).all()  # nothing printed there


def test_report_from_an_analysis_alone_without_series(tmp_path: Path, fixture_analysis: dict) -> None:
    need_poppler()
    del fixture_analysis["series"]
    data = ReportData(analysis=fixture_analysis)
    html = render_html(data)
    assert 'id="chart-time"' not in html and 'id="chart-trend"' not in html
    pdf = write_pdf(data, tmp_path / "plain.pdf")
    text = pdf_text(pdf)
    assert "32.1" in text and "demo_seated_test.landmarks.npz" in squeeze(pdf_text(pdf, layout=False))  # it wraps
    assert len(page_images(pdf)) <= MAX_PAGES + 2  # and the home program, when exercises are suggested


def test_the_report_says_the_days_to_test_again(fixture_analysis: dict) -> None:
    """"in about 4–6 weeks" left the sum to the patient: the days it means, from the test's own day."""
    from hiprom.store.records import local_day

    tested = local_day(fixture_analysis["created_utc"])
    first, last = tested + timedelta(weeks=4), tested + timedelta(weeks=6)
    said = squeeze(re.sub(r"<[^>]+>", " ", render_html(ReportData(analysis=fixture_analysis))))
    assert squeeze(f"Repeat the test the same way from {first.isoformat()} to {last.isoformat()}, or sooner if pain "
                   "or stiffness changes (same chair, same camera place)") in said, said


def test_not_measurable_side_is_said_not_hidden(tmp_path: Path, fixture_analysis: dict) -> None:
    need_poppler()
    right = fixture_analysis["sides"]["right"]
    for key in list(right):
        right[key] = None
    right["not_measurable"] = "right leg never visible"
    for key in ("internal_rotation_deg", "external_rotation_deg", "total_arc_deg"):
        fixture_analysis["asymmetry"][key] = None
    fixture_analysis["trials"] = [t for t in fixture_analysis["trials"] if t["side"] == "left"]
    text = pdf_text(write_pdf(ReportData(analysis=fixture_analysis), tmp_path / "nm.pdf"))
    assert "Right side not measurable: right leg never visible" in text
    assert "Next time: Keep both knees and feet in the picture" in " ".join(text.split())  # and what to do about it
    assert table_row(text, "Internal rotation", 0)[:9] == ["L", "32.1°", "±", "1.8°", "71.3%", "of", "45°", "1", "trial"]


def test_peak_snapshots_are_shown_when_given(tmp_path: Path, fixture_analysis: dict) -> None:
    need_poppler()
    magenta = (230, 20, 200)
    data = ReportData(analysis=fixture_analysis, snapshots={"left": _png(magenta), "right": _png(magenta)})
    assert render_html(data).count("data:image/png;base64,") == 2
    pages = page_images(write_pdf(data, tmp_path / "snap.pdf"))
    assert sum(colour_fraction(p, magenta, 12) for p in pages) > 0.01
    with pytest.raises(Exception, match="unknown side 'middle'"):
        ReportData(analysis=fixture_analysis, snapshots={"middle": _png(magenta)})


def test_everything_at_once_still_fits_three_pages(store: Store, fixture_analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    from hiprom.assessment import check_program, load_catalogue

    a = fixture_analysis
    a["trials"] = [dict(a["trials"][i % len(a["trials"])]) for i in range(30)]
    a["quality"]["notes"] = [f"note {i}: a rather long description of a quality problem" for i in range(15)]
    store.add_subject("W-1", name="A very long name " * 8, notes="Subject notes. " * 300)
    last = _save_history(store, a, "W-1", 10)
    for visit in store.history(last):  # each visit's program and exercises, said under the history table
        store.set_program(visit.id, check_program({"items": [{"exercise": "chair_rotation_internal", "side": side}
                                                             for side in SIDES]}, load_catalogue()))
        for side in SIDES:
            store.add_exercise_result(visit.id, {
                "schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": side,
                "direction": "internal", "reps_done": 7, "reps_target": 20, "reps": []})
    with store._tx(write=True) as s:  # a long session note as well
        from hiprom.store.schema import SessionRow

        s.get(SessionRow, last).notes = "Session notes go on. " * 300
    data = ReportData.from_store(store, last, snapshots={"left": _png((0, 0, 0), (480, 640)),
                                                          "right": _png((0, 0, 0), (480, 640))})
    pdf = write_pdf(data, tmp_path / "full.pdf")
    assert len(page_images(pdf)) <= MAX_PAGES + 2  # three at most, and the home program's (eight exercises: two)
    assert "more trials, listed in the CSV" in pdf_text(pdf)


def test_every_layout_keeps_the_signature_lines(analysis: dict) -> None:
    """The compact layouts, taken for a long report, dropped the Clinician / Signature / Date lines without a
    word: a report with history and long notes could not be signed on the page."""
    data = ReportData(analysis=analysis)
    drawn = draw_charts(data)
    for compact in range(len(LIMITS)):
        html = render_html(data, "2026-03-02T09:00:00Z", compact=compact, drawn=drawn)
        assert '<div class="sign">' in html and "<div>Signature</div>" in html, compact


def test_missing_weasyprint_says_what_to_install(monkeypatch: pytest.MonkeyPatch, fixture_analysis: dict) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint -> ImportError
    with pytest.raises(HipromError, match=r"pip install 'hiprom\[report\]'"):
        render_pdf(ReportData(analysis=fixture_analysis))


def test_the_page_loads_nothing_but_inline_data(fixture_analysis: dict) -> None:
    import re

    html = render_html(ReportData(analysis=fixture_analysis))
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith("data:") for s in sources)
    assert "@import" not in html and "url(http" not in html


def test_pdf_is_deterministic_apart_from_the_stamp(fixture_analysis: dict) -> None:
    data = ReportData(analysis=fixture_analysis)
    assert render_html(data, "2026-01-01T00:00:00Z") == render_html(data, "2026-01-01T00:00:00Z")
    assert np.isfinite(len(render_pdf(data, "2026-01-01T00:00:00Z")))


def test_a_flagged_asymmetry_is_shown_with_its_measure(fixture_analysis: dict) -> None:
    asym = fixture_analysis["asymmetry"]
    asym.update(total_arc_deg=-12.3, flagged=True, flagged_measures=["total_arc"],
                verdicts={"internal_rotation": "within", "external_rotation": "within", "total_arc": "exceeds"})
    html = render_html(ReportData(analysis=fixture_analysis))
    # The CSV's and the page's words, not a signed number in a sentence of its own.
    assert ("Asymmetry flagged</strong>: Total arc: the sides differ by more than 10° "
            "(the right side turns 12.3° further).") in html
    assert html.count("⚑ exceeds") == 1


def test_a_figure_that_cannot_tell_says_why_and_what_the_plus_minus_is(fixture_analysis: dict, tmp_path: Path) -> None:
    """32.6° ± 1.9° inside 30–40° read "cannot tell" beside a ± said to hold the true value two times in
    three, and nothing said that the verdicts allow for twice it. The sentence now says what the figure could
    be, in the page's words, and the note under the table what the ± is and what the verdicts allow for."""
    need_poppler()
    left = fixture_analysis["sides"]["left"]
    left.update(internal_rotation_deg=32.6, internal_rotation_unc_deg=1.9, internal_rotation_band="inconclusive")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(render_pdf(ReportData(analysis=fixture_analysis)))
    text = squeeze(pdf_text(pdf, layout=False))
    assert squeeze("Left internal rotation: cannot tell whether it is below the normal band (30–40°): measured 32.6°,"
                   " it could be as low as 28.9° with measurement error; repeat the test.") in text
    assert squeeze(PLUS_MINUS) in text


def test_the_unconfirmed_legend_comes_only_with_a_marked_figure(fixture_analysis: dict) -> None:
    """A side not measured has no figure, so nothing is marked † and the legend is not printed."""
    right = fixture_analysis["sides"]["right"]
    for measure in ("internal_rotation", "external_rotation", "total_arc"):
        right[f"{measure}_deg"] = right[f"{measure}_unc_deg"] = None
        right[f"{measure}_confirmed"] = False
    html = render_html(ReportData(analysis=fixture_analysis))
    assert "†" not in html
    fixture_analysis["sides"]["left"]["internal_rotation_confirmed"] = False
    html = render_html(ReportData(analysis=fixture_analysis))
    assert 'class="unconfirmed">†' in html and "† Unconfirmed" in html


def test_a_repeat_test_is_not_called_after_the_exercises(store: Store, analysis: dict, filmed_again) -> None:
    """hiprom asks for a repeat when it cannot tell; the repeat's report must not claim exercises came between."""
    first = store.save_analysis(analysis, subject="P-5", recorded_utc="2026-03-02T09:00:00Z")
    repeat = store.save_analysis(filmed_again(analysis), subject="P-5", recorded_utc="2026-03-02T09:10:00Z")
    html = render_html(ReportData.from_store(store, repeat.id))
    assert "Re-test: compared with the earlier test" in html and "after the exercises" not in html
    store.add_exercise_result(first.id, {
        "schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
        "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 7, "reps_target": 20,
        "reps_refused": 1, "holds_s": [3.1], "peaks_deg": [30.2], "reps": [{"number": 1}]})
    html = render_html(ReportData.from_store(store, repeat.id))
    assert "Re-test: before and after the exercises" in html


def test_exercises_done_at_home_are_dated_on_the_visits_page(store: Store, analysis: dict, tmp_path: Path) -> None:
    """A patient's exercises done from the page's Exercises at home are kept with the program's visit: its PDF
    listed them as if counted that day. Each now says its day; those of the visit say so."""
    need_poppler()
    visit = store.save_analysis(analysis, subject="P-8", recorded_utc="2026-03-02T09:00:00Z")
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 2}, "reps_done": 7, "reps_target": 20,
            "reps": [{"number": 1}]}
    store.add_exercise_result(visit.id, done, recorded_utc="2026-03-02T09:20:00Z")
    alone = render_html(ReportData.from_store(store, visit.id))
    assert "<th>Day</th>" not in alone  # counted at the visit only: no column to say so
    store.add_exercise_result(visit.id, {**done, "reps_done": 20}, recorded_utc="2026-03-05T18:00:00Z")
    text = " ".join(pdf_text(write_pdf(ReportData.from_store(store, visit.id), tmp_path / "r.pdf"),
                             layout=False).split())
    assert "Day Exercise Side" in text, text
    assert "this visit Chair rotation" in text and "2026-03-05 Chair rotation" in text, text
    # Days at home summed in one line keep how long the holds were, as each line of the visit lists them.
    store.add_exercise_result(visit.id, {**done, "holds_s": [3.4, 2.8]}, recorded_utc="2026-03-06T18:00:00Z")
    store.add_exercise_result(visit.id, {**done, "holds_s": [3.1]}, recorded_utc="2026-03-07T18:00:00Z")
    summed = next(r for r in exercises_done(ReportData.from_store(store, visit.id)) if r["day"])
    assert summed["day"] == "2026-03-05 to 2026-03-07, 3 times on 3 days" and summed["holds"] == "2.8–3.4", summed


def test_the_history_says_what_was_done_with_each_earlier_visits_program(store: Store, analysis: dict, tmp_path: Path,
                                                                         filmed_again) -> None:
    """A clinician handing out the re-test's PDF showed the figures of every visit but not whether the exercises
    were done in between: only this visit's were listed, the rest needed 'hiprom trend'. Each earlier visit's
    program and reps now go under the history table (and in the JSON export's history), as the trend says them."""
    need_poppler()
    from hiprom.assessment import load_catalogue, program_from_recommendations

    program = program_from_recommendations(
        [{"exercise": "chair_rotation_internal", "side": "left", "direction": "internal", "reason": "left IR"}],
        load_catalogue())
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 1}, "reps_done": 10,
            "reps_target": 10, "reps": [{"number": 1}]}
    first = store.save_analysis(analysis, subject="P-10", recorded_utc="2026-03-02T09:00:00Z")
    store.set_program(first.id, program)
    for day, reps in (("03", 10), ("05", 9)):
        store.add_exercise_result(first.id, {**done, "reps_done": reps}, recorded_utc=f"2026-03-{day}T12:00:00Z")
    second = store.save_analysis(filmed_again(analysis), subject="P-10", recorded_utc="2026-04-02T09:00:00Z")
    store.add_exercise_result(second.id, done, recorded_utc="2026-04-02T09:30:00Z")  # in its own table
    line = f"#{first.id} program: 1 exercise; reps done: Chair rotation, foot outward, left leg: 19 of 20 (2 times on 2 days)"

    data = ReportData.from_store(store, second.id)
    flat = " ".join(pdf_text(write_pdf(data, tmp_path / "r.pdf"), layout=False).split())
    assert line in flat, flat
    assert f"#{second.id} program" not in flat and f"#{second.id} reps done" not in flat  # this visit's: its own table
    history = export_json([data])["history"]
    assert [h["done"] for h in history] == [line.split(" ", 1)[1]]
    trend = subprocess.run([sys.executable, "-m", "hiprom.cli.main", "trend", "P-10", "--db", str(tmp_path / "hiprom.db")],
                           capture_output=True, text=True, env={**os.environ, "COLUMNS": "250"})
    assert line in " ".join(trend.stdout.split()), trend.stderr  # the same words as hiprom trend


def test_a_patients_own_tests_are_its_history_saved_with_a_pseudonym_or_not(store: Store, analysis: dict,
                                                                          tmp_path: Path, filmed_again) -> None:
    """At home a self-test is saved without a pseudonym: the PDF of a re-test weeks after the first had no history,
    where the page lists Your tests. In one patient's store every test is theirs (the clinic's, its program came
    with, included); a clinic's test saved without a pseudonym stays alone."""
    need_poppler()
    clinics = store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z")
    store.save_analysis(filmed_again(analysis), recorded_utc="2026-03-09T18:00:00Z")
    better = filmed_again(analysis)
    better["sides"]["left"]["external_rotation_deg"] += 15.0
    later = store.save_analysis(better, recorded_utc="2026-04-06T18:00:00Z")
    data = ReportData.from_store(store, later.id)
    assert [h.recorded_utc[:10] for h in data.history] == ["2026-03-02", "2026-03-09", "2026-04-06"]
    text = pdf_text(write_pdf(data, tmp_path / "home.pdf"))
    assert "History of this subject" in text and "↑" in "".join(table_row(text, "2026-04-06")), text
    assert data.first_visit == clinics.id

    store.save_analysis(filmed_again(analysis), subject="P-0043")  # a second person: a clinic's store
    assert [h.id for h in ReportData.from_store(store, later.id).history] == [later.id]


def test_a_month_of_exercises_at_home_is_summed_and_keeps_the_report_to_its_pages(store: Store, analysis: dict,
                                                                                  tmp_path: Path) -> None:
    """A patient doing the program every day at home from the page keeps each day's exercises with the visit that
    handed it over: its report listed them a line a day, a month of two exercises five pages where it promises
    three. The days at home are now summed per exercise and leg, when and how often, as 'hiprom trend' sums them."""
    need_poppler()
    visit = store.save_analysis(analysis, subject="P-11", recorded_utc="2026-03-02T09:00:00Z")
    done = {"schema": "hiprom.exercise/1", "exercise": "chair_rotation_internal", "side": "left",
            "direction": "internal", "dose": {"hold_s": 3, "reps": 10, "sets": 1}, "reps_done": 9, "reps_target": 10,
            "reps_refused": 1, "reps": [{"number": 1}], "holds_s": [3.0] * 9}
    store.add_exercise_result(visit.id, done, recorded_utc="2026-03-02T09:30:00Z")  # at the visit: a line of its own
    for day in range(3, 33):
        when = f"2026-03-{day:02d}" if day < 32 else "2026-04-01"
        store.add_exercise_result(visit.id, done, recorded_utc=f"{when}T17:00:00Z")
        store.add_exercise_result(visit.id, {**done, "side": "right", "reps_done": 10, "reps_refused": 0},
                                  recorded_utc=f"{when}T17:05:00Z")
    pdf = write_pdf(ReportData.from_store(store, visit.id), tmp_path / "month.pdf")
    pages = {int(n) for n in re.findall(r"Page \d+ of (\d+)", pdf_text(pdf))}  # the report's, not the sheets'
    assert len(pages) == 1 and pages.pop() <= MAX_PAGES, pages
    rows = [" ".join(r.split()) for r in re.findall(r"<tr>(.*?)</tr>", render_html(ReportData.from_store(
        store, visit.id)).split("Exercises counted by the camera")[1].split("</table>")[0], flags=re.S)]
    cells = [re.sub(r"\|+", "|", re.sub(r"<[^>]+>", "|", r)).strip("|") for r in rows[1:]]
    assert cells == ["this visit|Chair rotation, foot outward|left|9|10|1|3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0",
                     "2026-03-03 to 2026-04-01, 30 times on 30 days|Chair rotation, foot outward|left|270|300|30|3.0",
                     "2026-03-03 to 2026-04-01, 30 times on 30 days|Chair rotation, foot outward|right|300|300|0|3.0"
                     ], cells  # the month's holds, all 3.0 s: the shortest to the longest


def test_exercises_done_with_the_timer_are_told_from_the_cameras_count(store: Store, analysis: dict) -> None:
    """The page's timer keeps what it ran too; the visit's PDF must not call it counted by the camera."""
    visit = store.save_analysis(analysis, subject="P-9", recorded_utc="2026-03-02T09:00:00Z")
    store.add_exercise_result(visit.id, {
        "schema": "hiprom.exercise/1", "exercise": "knee_to_knee", "side": "both", "direction": "internal",
        "dose": {"hold_s": 25, "reps": 3, "sets": 1}, "reps_done": 3, "reps_target": 3, "reps": [], "timed": True},
        recorded_utc="2026-03-02T09:30:00Z")
    html = render_html(ReportData.from_store(store, visit.id))
    assert "<h2>Exercises done</h2>" in html and "Exercises counted by the camera" not in html
    assert re.search(r"Knees together stretch</td><td[^>]*>both</td>.*?with the timer", html, flags=re.S), html


def test_history_marks_what_changed_since_the_first_visit(store: Store, analysis: dict, tmp_path: Path,
                                                          filmed_again) -> None:
    """The clinician following a patient sees on the PDF which figure moved beyond the error, as 'hiprom trend' does."""
    need_poppler()
    first = store.save_analysis(analysis, subject="P-6", recorded_utc="2026-03-02T09:00:00Z")
    better = filmed_again(analysis)
    better["sides"]["left"]["external_rotation_deg"] += 15.0  # far beyond the 6 deg MDC and 1.96 x the tests' +-
    later = store.save_analysis(better, subject="P-6", recorded_utc="2026-04-02T09:00:00Z")
    html = render_html(ReportData.from_store(store, later.id))
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row" class="label day">[^<]*</th><td>#(\d+)</td>(.*?)</tr>', html,
                      flags=re.S)
    marks = {int(sid): re.findall(r'class="(improved|decreased)"', cells) for sid, cells in rows}
    assert marks == {first.id: [], later.id: ["improved"]}
    assert f"changed since the first visit (#{first.id})" in html
    text = pdf_text(write_pdf(ReportData.from_store(store, later.id), tmp_path / "history.pdf"))
    assert "History of this subject" in text and "↑" in text  # the legend keeps the full layout's two pages
    unchanged = render_html(ReportData.from_store(store, store.save_analysis(better, subject="P-7").id))
    assert "since the first visit" not in unchanged  # one session: nothing to compare, no legend


def test_history_marks_compare_with_the_first_visit_that_measured_something(store: Store, analysis: dict,
                                                                            filmed_again) -> None:
    """The first test measured nothing and was repeated the same day: +15° two months on went unmarked."""
    from hiprom.assessment.result import not_measurable

    failed = not_measurable("left leg never visible", np.arange(40) / 10.0, source="first.mp4")
    store.save_analysis(failed, subject="P-11", recorded_utc="2026-01-02T09:00:00Z")
    repeat = store.save_analysis(analysis, subject="P-11", recorded_utc="2026-01-02T09:10:00Z")
    for month in range(2, 7):
        later = filmed_again(analysis)
        later["sides"]["left"]["external_rotation_deg"] += 3.0 * (month - 1)
        last = store.save_analysis(later, subject="P-11", recorded_utc=f"2026-0{month}-02T09:00:00Z")
    data = ReportData.from_store(store, last.id)
    html = render_html(data)
    assert f"changed since the first visit (#{repeat.id})" in html
    assert 'class="improved"' in html
    for compact in (0, 1):  # the row marks compare with stays in a cut table, first
        assert build_context(data, compact=compact)["history"][0].id == repeat.id


def test_a_re_test_of_a_test_that_measured_nothing_says_so_in_one_sentence(store: Store, analysis: dict) -> None:
    # The first test of the day measured nothing: the repeat's report had a table of six "not measured before".
    from hiprom.assessment.result import not_measurable

    failed = not_measurable("left leg never visible", np.arange(40) / 10.0, source="first.mp4")
    first = store.save_analysis(failed, subject="P-12", recorded_utc="2026-01-02T09:00:00Z")
    repeat = store.save_analysis(analysis, subject="P-12", recorded_utc="2026-01-02T09:10:00Z")
    html = render_html(ReportData.from_store(store, repeat.id))
    assert "Re-test: compared with the earlier test" in html
    assert f"Nothing to compare with: the earlier test measured nothing. The earlier test: #{first.id}" in html
    assert "not measured before" not in html and 'class="figures retest"' not in html


def test_a_long_report_keeps_the_last_visits_and_their_marks(store: Store, analysis: dict, tmp_path: Path,
                                                              filmed_again) -> None:
    """A report too long for the full layout (12 trials listed, long notes, the peak pictures) keeps the history
    table, not the chart."""
    need_poppler()
    store.add_subject("P-8", notes="Knee replacement 2019 (left); walks with a stick outdoors, on stairs too. " * 10)
    store.save_analysis(analysis, subject="P-8", recorded_utc="2026-03-02T09:00:00Z")
    for month, gain in ((4, 12.0), (5, 14.0)):
        later = filmed_again(analysis)
        later["sides"]["left"]["external_rotation_deg"] += gain
        later["trials"] = [dict(t) for t in later["trials"] * 2]
        notes = "Felt stiff on the left after gardening; sat on a firm kitchen chair, laptop on the table. " * 7
        last = store.save_analysis(later, subject="P-8", recorded_utc=f"2026-0{month}-02T09:00:00Z", notes=notes)
    pictures = {"left": _png((0, 0, 0), (480, 640)), "right": _png((0, 0, 0), (480, 640))}
    pdf = write_pdf(ReportData.from_store(store, last.id, snapshots=pictures), tmp_path / "visits.pdf")
    text = pdf_text(pdf)
    assert "the ringed point" not in text and "this one ringed" not in text  # no chart: the compact layout
    assert "History of this subject" in text and "2026-03-02" in text and "2026-04-02" in text
    assert "↑" in text and "changed since the first visit" in text
    assert len(page_images(pdf)) <= MAX_PAGES + 1  # three, then the home program


def test_a_cut_history_keeps_the_first_visit_its_marks_compare_with(store: Store, analysis: dict) -> None:
    """"↑ ↓: changed since the first visit (#1)" names a row the table shows, however many visits there are."""
    first = store.save_analysis(analysis, subject="P-10", recorded_utc="2026-01-02T09:00:00Z")
    for month in range(2, 8):
        last = store.save_analysis(analysis, subject="P-10", recorded_utc=f"2026-0{month}-02T09:00:00Z")
    for compact in (0, 1):
        shown = [h.id for h in build_context(ReportData.from_store(store, last.id), compact=compact)["history"]]
        assert shown[0] == first.id and shown[-1] == last.id and len(shown) == (4, 3)[compact]


def test_the_trend_chart_draws_every_visit_by_date(store: Store, analysis: dict, filmed_again) -> None:
    # 20 visits: the chart drew the last 10, evenly spaced, while its caption pointed to the first visit.
    # Placed by date, every visit is drawn, the first one its marks compare with too.
    for i in range(20):
        last = store.save_analysis(filmed_again(analysis), subject="P-20",
                                   recorded_utc=f"{2024 + i // 12}-{i % 12 + 1:02d}-02T09:00:00Z")
    html = render_html(ReportData.from_store(store, last.id))
    assert "placed by date" in html and "The chart shows the latest" not in html


@pytest.mark.parametrize(("reason", "sides", "advice"), [
    ("no person found in any frame", ("no person found in any frame",) * 2,
     "Film the person sitting on a chair facing the camera, in view from shoulders to feet."),
    ("neither leg could be measured: left leg out of the picture; right leg out of the picture",
     ("left leg out of the picture", "right leg out of the picture"),
     "Keep both knees and feet in the picture: move the chair back, or tilt the camera down."),
], ids=["no person", "no legs"])
def test_a_report_with_nothing_measurable_says_why_once_and_what_to_do(
        tmp_path: Path, reason: str, sides: tuple[str, str], advice: str) -> None:
    """The PDF said why three or four times: in the summary, as "Not measurable: ..." above the table and
    as a "... side not measurable" line per side under it. Now once, in the summary, as 'hiprom sessions
    show' says it, with what to film differently next time."""
    from hiprom.assessment.result import not_measurable

    need_poppler()
    analysis = not_measurable(reason, np.arange(40) / 10.0, source="empty.mp4")
    for side, why in zip(SIDES, sides):  # as the kernel gives it, each side with its own reason
        analysis["sides"][side]["not_measurable"] = why
    text = " ".join(pdf_text(write_pdf(ReportData(analysis=analysis), tmp_path / "empty.pdf")).split())
    assert f"Summary Not measurable: {reason}." in text
    for why in {reason, *sides}:
        assert text.lower().count(why) == 1, why
    assert f"Next time: {advice}" in text


def test_the_marks_legend_comes_only_with_a_mark(store: Store, analysis: dict, tmp_path: Path, filmed_again) -> None:
    """A long report shows the last visits only: a change on an earlier one gets no legend for marks not there."""
    need_poppler()
    store.save_analysis(analysis, subject="P-9", recorded_utc="2026-03-02T09:00:00Z")
    better = filmed_again(analysis)
    better["sides"]["left"]["external_rotation_deg"] += 15.0
    store.save_analysis(better, subject="P-9", recorded_utc="2026-04-02T09:00:00Z")  # the one change, not shown
    notes = "Felt stiff on the left after gardening; sat on a firm kitchen chair, laptop on the table. " * 7
    for month in (5, 6, 7):
        last = store.save_analysis(filmed_again(analysis), subject="P-9", recorded_utc=f"2026-0{month}-02T09:00:00Z",
                                   notes=notes)
    text = pdf_text(write_pdf(ReportData.from_store(store, last.id), tmp_path / "later.pdf"))
    # The first visit (what marks compare with) and the last ones: the April change is not among them.
    assert "History of this subject" in text and "2026-03-02" in text and "2026-06-02" in text
    assert "2026-04-02" not in text and "↑" not in text and "changed since the first visit" not in text
