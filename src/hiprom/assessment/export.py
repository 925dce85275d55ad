"""Text forms of an analysis result: strict JSON and the per-frame series as CSV."""

from __future__ import annotations

import json
from typing import Any

from hiprom.landmarks import SIDES
from hiprom.tables import COMMAS, CsvStyle, csv_file_text, csv_text

SERIES_COLUMNS: tuple[str, ...] = ("t_s",) + tuple(
    f"{side}_{kind}" for side in SIDES for kind in ("deg", "raw_deg", "unc_deg", "flags")
)
"""Columns of the series CSV, in order."""


def result_json(result: dict[str, Any], indent: int | None = 2) -> str:
    """The result as strictly valid JSON (raises ``ValueError`` on a stray NaN).

    With ``indent``, objects are laid out one key per line but lists of plain
    values (the per-frame series, bands, flag lists) stay on one line each,
    so a long recording's JSON stays small and readable. ``indent=None`` gives
    the most compact form.
    """
    if indent is None:
        return json.dumps(result, allow_nan=False, ensure_ascii=False, separators=(",", ":")) + "\n"
    return _pretty(result, 0, indent) + "\n"


def _is_flat(value: Any) -> bool:
    """A list of scalars, or of lists of scalars (the per-frame flag lists)."""
    scalar = (str, int, float, bool, type(None))
    return isinstance(value, list) and all(
        isinstance(v, scalar) or (isinstance(v, list) and all(isinstance(w, scalar) for w in v)) for v in value
    )


def _pretty(value: Any, level: int, indent: int) -> str:
    if isinstance(value, dict) and value:
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        items = [f"{inner}{json.dumps(str(k))}: {_pretty(v, level + 1, indent)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value and not _is_flat(value):
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        return "[\n" + ",\n".join(inner + _pretty(v, level + 1, indent) for v in value) + f"\n{pad}]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(", ", ": "))


def series_csv(result: dict[str, Any], style: CsvStyle = COMMAS) -> str:
    """The per-frame series as CSV: one row per frame, empty cells where unmeasurable.

    Flag cells hold the frame's flag names joined by ``;`` (the one CSV writer, ``hiprom.tables``);
    ``style``: commas and decimal points, or ``;`` and decimal commas (``hiprom.tables.SEMICOLONS``).
    """
    return csv_text(SERIES_COLUMNS, _series_rows(result), style)


def series_csv_file(result: dict[str, Any], style: CsvStyle = COMMAS) -> str:
    """:func:`series_csv` as the text of a CSV file: byte-order mark first, as every CSV file hiprom writes
    (``hiprom.tables.csv_file_text``), so Excel reads it as UTF-8."""
    return csv_file_text(SERIES_COLUMNS, _series_rows(result), style)


def _series_rows(result: dict[str, Any]) -> zip:
    """One row per frame, in :data:`SERIES_COLUMNS` order."""
    series = result["series"]
    return zip(*(series[col] for col in SERIES_COLUMNS))
