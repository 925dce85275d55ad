"""Reports of a session: the PDF (WeasyPrint + matplotlib) and CSV/JSON exports.

``ReportData`` gathers what a report shows (from the store or an analysis
file); ``render_pdf``/``write_pdf`` make the PDF; ``export_json`` and
``write_csv`` export the same figures. See ``docs/reports.md``. Everything
is imported on first use: the PDF functions bring matplotlib, the rest the
store, and a batch worker needs only :mod:`hiprom.report.figures`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_PDF = ("render_html", "render_pdf", "write_pdf", "render_program_html", "render_program_pdf", "write_program_pdf")
_WHERE = {
    "ReportData": "data", "load_analysis_file": "data",
    "EXPORT_SCHEMA": "exports", "TABLES": "exports", "csv_text": "exports", "export_json": "exports",
    "write_csv": "exports", **dict.fromkeys(_PDF, "pdf"),
}

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
    if name in _WHERE:
        return getattr(import_module(f"hiprom.report.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'hiprom.report' has no attribute {name!r}")
