"""The PDF in words a patient understands, with the page's vocabulary: degrees as °, reference vs normal band."""

from __future__ import annotations

import re
from pathlib import Path

from hiprom.assessment.reasons import REASON_WORDS
from hiprom.assessment.wording import explain
from hiprom.report import ReportData, render_html, write_pdf
from hiprom.store import Store

from .pdftools import need_poppler, pdf_text


def page_one(text: str) -> str:
    return text.split("\f")[0]


def test_page_one_explains_the_numbers_in_plain_words(analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    text = pdf_text(write_pdf(ReportData(analysis=analysis), tmp_path / "r.pdf"))
    first = " ".join(page_one(text).split())
    assert "What this report means." in first
    for words in ("internal rotation", "external rotation", "normal band", "reference", "measurement error", "Repeat the test"):
        assert words in first, words
    assert not re.search(r"\bdeg\b", text), "degrees are written as °"
    assert "MDC: the smallest change" in " ".join(text.split())  # jargon is explained where it is used


def test_a_demo_has_no_pose_model_and_no_empty_rows(analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    analysis["model"] = "synthetic"  # the replayed demo subject: no pose model ran
    # (in reading order: the words wrap in their table cell, and the layout interleaves the cells' lines)
    text = " ".join(pdf_text(write_pdf(ReportData(analysis=analysis), tmp_path / "demo.pdf"), layout=False).split())
    assert "Pose model" not in text and "demo subject (synthetic, no pose model)" in text
    for label in ("Name", "Date of birth", "Operator"):  # unknown for an unsaved analysis: not printed empty
        assert f"{label} —" not in text and f"{label}—" not in text


def test_a_compensation_is_said_once(store: Store, analysis: dict, tmp_path: Path) -> None:
    need_poppler()
    invalid = [t for t in analysis["trials"] if not t["valid"]]
    assert invalid, "the demo subject hikes its pelvis once"
    side = invalid[0]["side"]
    # Notes as analyses saved before read them: "left: measurable in 85% of frames", lower case, no full stop.
    analysis["quality"]["notes"] = [f"{side}: pelvis hike during 1 trial", "left: measurable in 85% of frames",
                                    "right: rest position +3.1° from vertical"]
    record = store.save_analysis(analysis, subject="P-1")
    text = " ".join(pdf_text(write_pdf(ReportData.from_store(store, record.id), tmp_path / "s.pdf")).split())
    assert "hip lifted off the seat in 1 trial" not in text  # the quality note that restated the trial is dropped
    assert "could be measured in" not in text  # said by "Measurable frames: ..." above it
    assert "Right leg: at rest the foot was 3.1° outward of straight below the knee." in text
    assert "left:" not in text and "right:" not in text
    assert text.lower().count("did not count: hip lifted off the seat") == 1
    assert "pelvis" not in text.lower()  # no clinical word a patient must look up
    codes = [code for code in REASON_WORDS if code in text or code.replace("_", " ") in text.lower()]
    assert not codes, codes  # nor a flag's code, with or without its underscores


def _with_verdicts(analysis: dict, verdict: str | None) -> dict:
    asym = analysis["asymmetry"]
    asym["verdicts"] = {m: verdict for m in asym["verdicts"]}
    asym["flagged"], asym["flagged_measures"] = verdict == "exceeds", []
    return analysis


def test_the_plain_paragraph_says_no_flag_only_when_the_sides_were_compared_and_decided(
        analysis: dict, tmp_path: Path) -> None:
    """The audit's first finding: "No flag: your two hips turn about the same" on an undecided, or uncompared, test."""
    need_poppler()
    assert "inconclusive" in analysis["asymmetry"]["verdicts"].values()  # the demo subject, as it is
    texts = {}
    for name, verdict in (("demo", "keep"), ("within", "within"), ("none", None)):
        a = analysis if verdict == "keep" else _with_verdicts(dict(analysis, asymmetry=dict(analysis["asymmetry"])), verdict)
        # (the paragraph on page 1, the box under the asymmetry table on page 1 or 2: at 10 pt, page 2)
        texts[name] = " ".join(pdf_text(write_pdf(ReportData(analysis=a), tmp_path / f"{name}.pdf")).split())
    assert "No flag" not in texts["demo"] and "Whether your two hips differ is not clear yet" in texts["demo"]
    # The box under the asymmetry table said "No asymmetry flagged, but not every difference could be decided"
    # on a green ground when no difference was decided; it now gives the page's words, on an amber ground.
    assert "No asymmetry flagged" not in texts["demo"]
    assert "Cannot tell whether the sides differ by more than 10° in internal rotation" in texts["demo"]
    assert '<div class="flagbox unsure">' in render_html(ReportData(analysis=analysis))
    assert "No flag: your two hips turn about the same (within 10°)." in texts["within"]
    assert "No flag" not in texts["none"] and "No asymmetry flagged" not in texts["none"]
    # Not "no movement was measured on both sides", which reads as "nothing was measured" beside a measured side.
    assert ("Your two hips could not be compared: each movement was measured on one hip only, or on neither."
            in texts["none"])


def test_a_trial_measured_in_3d_is_named_as_the_method_note_names_it(analysis: dict) -> None:
    """The trials table printed the code "world" in its Method column under a note explaining "frontal"
    and "3-D": the reader could not tell which was which. It now says "3-D", as the note does."""
    analysis["trials"][0]["method"] = "world"
    html = render_html(ReportData(analysis=analysis))
    table = html[html.index('<table class="figures trials">'):]
    table = table[:table.index("</table>")]
    assert ">3-D</td>" in table and "world" not in table
    assert '"3-D" uses the pose model' in html


def test_a_flag_on_a_counted_trial_is_not_contradicted_by_the_quality_list(analysis: dict) -> None:
    """A counted trial listed "knee not bent about 90°" under Why not / flags while the quality list
    below said "No compensation (…) or quality problem was detected"."""
    for trial in analysis["trials"]:
        trial.update(valid=True, reasons=[], flags=[])
    analysis["quality"]["notes"] = []
    analysis["trials"][-1]["flags"] = ["knee_not_flexed"]
    html = " ".join(render_html(ReportData(analysis=analysis)).split())
    assert "knee not bent about 90°" in html and "quality problem was detected" not in html
    assert "Every trial counted; a flag beside a trial" in html
    analysis["trials"][-1]["flags"] = []
    assert "quality problem was detected" in " ".join(render_html(ReportData(analysis=analysis)).split())


def test_what_the_test_could_not_decide_is_said_once_and_pointed_to(analysis: dict, tmp_path: Path) -> None:
    """The demo subject's report said "cannot tell whether the sides differ by more than 10°" five times: in
    the summary, the plain paragraph ("We cannot tell yet whether …"), the box's heading and again in each of
    its two measures' sentences. It is now said in the summary line and once in the box, with each measure's
    figures in the CSV's and the page's words; the paragraph points to the box."""
    need_poppler()
    text = " ".join(pdf_text(write_pdf(ReportData(analysis=analysis), tmp_path / "r.pdf"), layout=False).split())
    assert text.lower().count("cannot tell whether the sides differ") == 2  # the summary, the box
    assert "We cannot tell yet" not in text
    assert ('Whether your two hips differ is not clear yet: "Left–right asymmetry" below says why and by how much.'
            in page_one(text))
    said = ("Cannot tell whether the sides differ by more than 10° in internal rotation (measured 5.1°, and could be "
            "as much as 10.0° with measurement error) and total arc (measured 9.2°, and could be as much as 16.3° "
            "with measurement error); repeat the test.")
    assert said in text
    csv_words = explain(analysis)["asymmetry"]["internal_rotation"]  # the same figures as the CSV's sentence
    assert "(measured 5.1°, and could be as much as 10.0° with measurement error)" in csv_words


def test_a_difference_under_the_mdc_is_said_so_in_every_output(store: Store, analysis: dict, tmp_path: Path) -> None:
    """The PDF and the terminal said "within measurement error (MDC)" of a left/right difference under the
    minimal detectable change; the CSV and the page did not, and a patient read "left larger" of 4° there as
    a finding. Now all four say it of the same measures (a 6.0° difference, shown so, is not under 6°)."""
    import csv
    import io

    from rich.console import Console

    from hiprom.cli.result_tables import figure_tables
    from hiprom.report import csv_text
    from hiprom.report.figures import summary

    need_poppler()
    asym = analysis["asymmetry"]
    asym["internal_rotation_deg"], asym["external_rotation_deg"], asym["total_arc_deg"] = 5.94, -5.96, -9.2
    under = {"internal_rotation": True, "external_rotation": False, "total_arc": False}
    # the page's notes say it (its table's difference column is too narrow for the words at 1024x768)
    assert explain(analysis)["within_mdc"] == "Left–right differences under 6°, within measurement error (MDC): " \
                                             "internal rotation."

    store.add_subject("P-7")
    record = store.save_analysis(analysis, subject="P-7", recorded_utc="2026-02-01T10:00:00Z")
    data = ReportData.from_store(store, record.id)
    row = next(csv.DictReader(io.StringIO(csv_text([data], "summary"))))
    assert {m: row[f"asymmetry_{m}_within_mdc"] for m in under} == {m: str(u).lower() for m, u in under.items()}
    assert row["asymmetry_mdc_deg"] == "6.0"  # what "within" was judged against, for a row read alone

    text = " ".join(pdf_text(write_pdf(data, tmp_path / "r.pdf"), layout=False).split())
    assert text.count("within measurement error (MDC)") == 1

    console = Console(width=200, record=True, color_system=None)
    for part in figure_tables(summary(analysis)):
        console.print(part)
    table = [line for line in console.export_text().splitlines() if "within measurement error (MDC)" in line]
    assert len(table) == 1 and "Internal rotation" in table[0], table


def test_the_mdc_of_a_clinics_norms_is_the_one_judged_against(analysis: dict) -> None:
    """A norms file's MDC (here 4–7°) decides, not the published 6–9°."""
    from hiprom.assessment.summary import within_mdc

    analysis["asymmetry"].update(internal_rotation_deg=5.0, external_rotation_deg=-3.9, total_arc_deg=None)
    analysis["norms"]["mdc_deg"] = [4.0, 7.0]
    assert within_mdc(analysis) == {"internal_rotation": False, "external_rotation": True, "total_arc": None}
