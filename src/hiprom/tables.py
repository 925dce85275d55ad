"""The one CSV writer: every CSV hiprom writes (series, report tables, batch summary).

Cells follow one rule (:func:`cell`): empty for None, ``true``/``false``
for booleans, lists joined by ``;``, and text a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return) prefixed with
``'``; a file name that is not UTF-8 with its odd bytes as ``\\xNN``
(:func:`hiprom.parsing.printable_name`), so one such name never stops a table.
UTF-8, comma-separated, ``\\n`` line ends, header first.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hiprom.atomic import atomic_write
from hiprom.parsing import printable_name

LIST_SEPARATOR = ";"
"""How a list in one cell is joined (flag names, flagged measures)."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A CSV cell: '' for None, bools as true/false, lists joined by ';', formulas defused, valid UTF-8."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, str):
        value = value if value.isascii() else printable_name(value)
        if value[:1] in _FORMULA_STARTS:
            return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buf.getvalue()


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a table as CSV atomically (never half-written); returns the path."""
    target = Path(path)
    text = csv_text(header, rows)
    with atomic_write(target, "w") as fh:
        fh.write(text)
    return target
