"""Reports of a session: the PDF (WeasyPrint + matplotlib) and CSV/JSON exports.

``ReportData`` gathers what a report shows (from the store or an analysis
file); ``render_pdf``/``write_pdf`` make the PDF; ``export_json`` and
``write_csv`` export the same figures. See ``docs/reports.md``. The PDF
functions (and matplotlib) are imported on first use.
"""

from __future__ import annotations

from typing import Any

from hiprom.report.data import ReportData, load_analysis_file
from hiprom.report.exports import EXPORT_SCHEMA, TABLES, csv_text, export_json, write_csv

_PDF = ("render_html", "render_pdf", "write_pdf", "render_program_html", "render_program_pdf", "write_program_pdf")

__all__ = [
    "EXPORT_SCHEMA",
    "TABLES",
    "ReportData",
    "csv_text",
    "export_json",
    "load_analysis_file",
    "write_csv",
    *_PDF,
]


def __getattr__(name: str) -> Any:
    if name in _PDF:
        from hiprom.report import pdf

        return getattr(pdf, name)
    raise AttributeError(f"module 'hiprom.report' has no attribute {name!r}")
