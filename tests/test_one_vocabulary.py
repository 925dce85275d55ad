"""One stored visit and its re-test, read through every output a person or a spreadsheet reads: the terminal
(``hiprom sessions show``, ``retest``, ``trend``), the PDF (pdftotext, in the reading order and the layout's),
the report's CSV and the JSON. Each figure reads the same in each (one decimal, left before right), and each
table and verdict in the same words: the next output that says it another way fails here."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from hiprom.assessment.wording import MEASURE_LABELS, PLUS_MINUS
from hiprom.landmarks import SIDES
from hiprom.report.figures import fmt, summary
from hiprom.report.rows import (
    AGAINST_THRESHOLD,
    BAND_HEADING,
    HISTORY_DIFFERENCE,
    HISTORY_FIGURES,
    RETEST_COLUMNS,
    RETEST_NOTE,
    band_cell,
    measure_rows,
)
from hiprom.store import Store

pytest.importorskip("weasyprint")

def _squeezed(text: str) -> str:
    return " ".join(text.split())


def _terminal(capsys: pytest.CaptureFixture, *args: str) -> str:
    from hiprom.cli.main import main

    assert main(list(args)) == 0
    return capsys.readouterr().out


@pytest.fixture
def outputs(tmp_path: Path, analysis: dict, filmed_again, capsys: pytest.CaptureFixture,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Session #2 (a re-test of #1 the same day) of P-0042 through each output."""
    from report.pdftools import need_poppler, pdf_text

    need_poppler()
    monkeypatch.setenv("COLUMNS", "250")  # a wide terminal: each table row on one line
    db = tmp_path / "hiprom.db"
    with Store(db) as store:
        store.save_analysis(analysis, subject="P-0042", recorded_utc="2026-03-02T09:00:00Z")
        second = filmed_again(analysis)
        store.save_analysis(second, subject="P-0042", recorded_utc="2026-03-02T09:30:00Z")
    _terminal(capsys, "report", "2", "--before", "1", "-o", str(tmp_path / "r.pdf"), "--csv", str(tmp_path / "r"),
              "--json", str(tmp_path / "r.json"), "--db", str(db))
    with (tmp_path / "r.summary.csv").open(encoding="utf-8-sig", newline="") as fh:
        csv_row = next(csv.DictReader(fh))
    return {
        "analysis": second,
        "json": json.loads((tmp_path / "r.json").read_text()),
        "csv": csv_row,
        "show": _terminal(capsys, "sessions", "show", "2", "--db", str(db)),
        "retest": _terminal(capsys, "retest", "2", "--db", str(db)),
        "trend": _terminal(capsys, "trend", "P-0042", "--db", str(db)),
        "list": _terminal(capsys, "sessions", "list", "--db", str(db)),
        "pdf": [pdf_text(tmp_path / "r.pdf", layout=layout) for layout in (False, True)],
    }


def _row(text: str, label: str) -> str:
    """The terminal table's line of ``label`` (the first one that starts with it)."""
    return next(line for line in text.splitlines() if line.startswith(label + " "))


def test_each_figure_and_verdict_reads_the_same_in_every_output(outputs: dict) -> None:
    fig = summary(outputs["analysis"])
    show, pdfs, row = outputs["show"], outputs["pdf"], outputs["csv"]
    saved = outputs["json"]
    analysis = saved.get("analysis", saved)
    for table_row in measure_rows(fig):
        measure, label = table_row["key"], table_row["label"]
        assert label == MEASURE_LABELS[measure]
        figures = {side: fmt(table_row["sides"][side]["deg"]) for side in SIDES}
        # the data: the CSV's and the JSON's number is the figure people read
        for side in SIDES:
            assert fmt(float(row[f"{side}_{measure}_deg"])) == figures[side], (side, measure)
            assert fmt(analysis["sides"][side][f"{measure}_deg"]) == figures[side], (side, measure)
        # the terminal: the row named as the PDF names it, left's figure before right's
        cells = [c.strip() for c in _row(show, label).split("│")]
        assert [cells[1], cells[4]] == [figures["left"], figures["right"]], cells
        # and its normal band, as the PDF's table ends the row (the terminal had no band of the total arc at all)
        assert cells[-1] == band_cell(table_row["band"]), cells
        assert all(f"{BAND_HEADING}" in text and band_cell(table_row["band"]) in text for text in pdfs)
        # the PDF: each figure with its side, left first, in the reading order and the layout's
        for text in pdfs:
            flat = _squeezed(text)
            at = [flat.find(f"{side[0].upper()} {figures[side]}° ± ") for side in SIDES]
            assert -1 not in at and at == sorted(at), (label, at)
            assert label in flat
        # the left/right verdict in the same words
        verdict = table_row["verdict"]
        if verdict:
            words = AGAINST_THRESHOLD[verdict]
            asymmetry_row = [line for line in show.splitlines() if line.startswith(label + " ")][1]
            assert words in asymmetry_row, (label, words)
            assert all(words in _squeezed(text) for text in pdfs), (label, words)
    # the one-line summary, the same sentence in the terminal, the PDF and the CSV
    sentence = fig["verdict"]
    assert sentence and _squeezed(sentence) in _squeezed(re.sub(r"\n +│ ", " ", show))  # a long value wraps in its cell
    assert all(_squeezed(sentence) in _squeezed(text) for text in pdfs)
    assert row["verdict"] == sentence
    # what the ± is, in the same words
    assert _squeezed(PLUS_MINUS) in _squeezed(show)
    assert all(_squeezed(PLUS_MINUS) in _squeezed(text) for text in pdfs)


def test_the_retest_and_the_visits_read_the_same_in_the_terminal_and_the_pdf(outputs: dict) -> None:
    """The terminal's re-test table was headed "measure before after change ± needed verdict" beside the PDF's
    "Measure Before (#1) After Change ± Needed Verdict", and never said what "needed" is (the PDF's note did)."""
    retest, pdfs = outputs["retest"], outputs["pdf"]
    headings = [h.strip() for h in re.split(r"[┃│]", _row(retest, "Measure"))]
    assert headings == list(RETEST_COLUMNS), headings
    layout = pdfs[1]
    pdf_headings = _squeezed(next(line for line in layout.splitlines() if line.lstrip().startswith("Measure ")
                                  and "Needed" in line))
    assert re.sub(r" \(#\d+\)", "", pdf_headings) == " ".join(RETEST_COLUMNS), pdf_headings
    assert _squeezed(RETEST_NOTE) in _squeezed(retest)
    assert all(_squeezed(RETEST_NOTE) in _squeezed(text) for text in pdfs)
    # each re-test row: the measure's name and its before and after figures, in the same words and figures
    for line in retest.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) == len(RETEST_COLUMNS) and cells[1] != "—":
            assert f"{cells[0]} {cells[1]}° {cells[2]}° {cells[3]}°" in _squeezed(layout), cells
    # the visits: the terminal's headings as the PDF's history table names its columns, each side's total arc and
    # the arc's left − right too (the terminal had IR and ER alone), and each visit's figures as the PDF's row
    trend_headings = [h.strip() for h in re.split(r"[┃│]", _row(outputs["trend"], "#"))]
    history = _squeezed(next(line for line in layout.splitlines() if line.lstrip().startswith("Date ")))
    assert trend_headings[2:] == [*HISTORY_FIGURES, HISTORY_DIFFERENCE], trend_headings
    assert history == " ".join(["Date", "Session", *HISTORY_FIGURES, HISTORY_DIFFERENCE]), history
    # the list of sessions names the arc's left − right as the history does (it said "L−R arc")
    listed = [h.strip() for h in re.split(r"[┃│]", _row(outputs["list"], "#"))]
    assert HISTORY_DIFFERENCE in listed and [h for h in listed if h in HISTORY_FIGURES] == ["L IR", "L ER", "R IR", "R ER"]
    visits = [[c.strip() for c in line.split("│")] for line in outputs["trend"].splitlines() if line[:1].isdigit()]
    assert len(visits) == 2
    marks = [heading if measure == "internal_rotation" else heading.split(" ", 1)[1]  # "L IR 32.8° ER 27.0° arc …"
             for heading, (_, measure) in HISTORY_FIGURES.items()]
    for cells in visits:
        said = " ".join(f"{mark} {cell}°" for mark, cell in zip(marks, cells[2:8])) + f" L − R {cells[8]}°"
        assert f"#{cells[0]} {said}" in _squeezed(layout), (said, layout)
