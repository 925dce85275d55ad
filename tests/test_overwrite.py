"""An output replaces only an earlier output of hiprom of the same kind (``hiprom.overwrite``).

Any PDF could be replaced by a report (a signed referral letter kept beside the reports), and a
CSV or JSON output any text file (the user's notes, a spreadsheet they made): each kind of file
was told only by its first bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hiprom.errors import InputError
from hiprom.overwrite import check_replaceable

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "samples" / "demo_seated_test.landmarks.npz"


def _weasyprint_pdf(path: Path, head: str) -> Path:
    weasyprint = pytest.importorskip("weasyprint", reason="PDF reports need hiprom[report]")
    weasyprint.HTML(string=f"<html><head>{head}</head><body><p>Dear colleague,</p></body></html>").write_pdf(path)
    return path


def _matplotlib_pdf(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    Figure(figsize=(2, 2)).savefig(path, format="pdf")
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8\xff" + bytes(100))
    return path


FOREIGN = {
    "a PDF": [
        ("letter.pdf", lambda p: _weasyprint_pdf(p, "<title>Referral letter</title>")),
        ("chart.pdf", _matplotlib_pdf),
        ("damaged.pdf", lambda p: (p.write_bytes(b"%PDF-1.4\nsigned referral, no trailer"), p)[1]),
    ],
    "a CSV table": [
        ("notes.txt", lambda p: (p.write_text("Call Mrs Núñez back on Monday\n", encoding="utf-8"), p)[1]),
        ("scores.csv", lambda p: (p.write_text("\ufeffName,Score,Date\nAnn,3,2026-01-02\n", encoding="utf-8"), p)[1]),
        ("clip.mp4", lambda p: (p.write_bytes(b"\x00\x00\x00\x20ftypisom" + bytes(range(256))), p)[1]),
    ],
    "a JSON file": [
        ("settings.json", lambda p: (p.write_text('{"theme": "dark"}\n'), p)[1]),
        ("trial.json", lambda p: (p.write_text('{"schema": "my-lab.trial/1"}\n'), p)[1]),
    ],
    "a landmarks recording": [
        ("photos.zip", _zip),
        ("analysis.json", lambda p: (p.write_text('{"schema": "hiprom.analysis/1"}\n'), p)[1]),
    ],
}


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, files in FOREIGN.items() for n, _ in files])
def test_a_file_hiprom_did_not_make_is_refused(tmp_path: Path, kind: str, name: str) -> None:
    make = dict(FOREIGN[kind])[name]
    path = make(tmp_path / name)
    before = path.read_bytes()
    with pytest.raises(InputError) as refused:
        check_replaceable([path], kind)
    assert str(refused.value) == (f"{path}: exists and is not {kind} hiprom made; choose another output name, "
                                  "or move that file away first")
    assert path.read_bytes() == before


def test_every_table_hiprom_writes_may_be_written_again(tmp_path: Path, fixture_analysis: dict) -> None:
    """The header of each table hiprom writes is recognised (a new table must be added to TABLE_STARTS),
    also after a spreadsheet saved it again with ';' and without the byte-order mark."""
    from hiprom.assessment import series_csv
    from hiprom.batch.summary import COLUMNS, TRIAL_COLUMNS
    from hiprom.report import ReportData
    from hiprom.report.exports import TABLES, table_rows
    from hiprom.tables import csv_text

    texts = [series_csv(fixture_analysis), csv_text(COLUMNS, []), csv_text(TRIAL_COLUMNS, []),
             *(csv_text(*table_rows([ReportData(analysis=fixture_analysis)], t)) for t in TABLES)]
    for i, text in enumerate(texts):
        for j, saved in enumerate(("\ufeff" + text, text.replace(",", ";"))):
            path = tmp_path / f"{i}-{j}.csv"
            path.write_text(saved, encoding="utf-8")
            check_replaceable([path], "a CSV table")


def test_hiprom_json_and_recordings_may_be_written_again(tmp_path: Path, fixture_analysis: dict) -> None:
    from hiprom.assessment import result_json
    from hiprom.report import ReportData, export_json

    export = export_json([ReportData(analysis=fixture_analysis)])
    texts = {"analysis.json": result_json(fixture_analysis), "export.json": json.dumps(export, indent=2),
             "exports.json": json.dumps([export, export], indent=2),
             "p01.done.json": json.dumps({"format": "hiprom.batch-done/2"}, indent=1),
             "compact.json": result_json(fixture_analysis, indent=None)}
    for name, text in texts.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    check_replaceable([tmp_path / name for name in texts], "a JSON file")
    check_replaceable([DEMO], "a landmarks recording")


def test_hiprom_pdfs_may_be_written_again_those_of_earlier_versions_too(tmp_path: Path,
                                                                         fixture_analysis: dict) -> None:
    """Every PDF hiprom makes says so in its Creator (the report's and the validation report's are checked where
    tests/report/test_pdf.py and tests/validation/test_pdf.py render them); those of earlier versions, without
    one, named hiprom in their subject."""
    pypdf = pytest.importorskip("pypdf")
    from hiprom.report import ReportData, write_program_pdf

    pdf = write_program_pdf(ReportData(analysis=fixture_analysis), tmp_path / "program.pdf")
    assert pypdf.PdfReader(pdf).metadata["/Creator"].startswith("hiprom ")
    earlier = _weasyprint_pdf(tmp_path / "earlier.pdf", '<title>Hip rotation report · 2026-03-02</title><meta '
                              'name="description" content="Seated hip internal and external rotation (hiprom 0.1.0)">')
    check_replaceable([pdf, earlier, tmp_path / "new.pdf", None, "-"], "a PDF")


def test_an_empty_file_an_unreadable_one_and_a_pipe_are_not_read_as_someone_elses(tmp_path: Path) -> None:
    import os
    import threading

    (tmp_path / "empty.csv").touch()
    fifo = tmp_path / "to-the-next-program"
    os.mkfifo(fifo)
    checked = threading.Thread(target=check_replaceable, args=([tmp_path / "empty.csv", fifo], "a CSV table"),
                               daemon=True)
    checked.start()
    checked.join(timeout=5)
    assert not checked.is_alive(), "hiprom waited on the pipe instead of writing to it"


def test_a_zip_with_a_recordings_arrays_is_a_recording(tmp_path: Path) -> None:
    from hiprom.recording import FIELDS, is_recording

    path = tmp_path / "x.landmarks.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name in FIELDS:
            buf = io.BytesIO()
            np.save(buf, np.zeros(1))
            archive.writestr(f"{name}.npy", buf.getvalue())
    assert is_recording(path) and not is_recording(tmp_path / "missing.npz")
