"""The one CSV writer: every CSV hiprom writes (series, report tables, batch summary).

Cells follow one rule (:func:`cell`): empty for None, ``true``/``false``
for booleans, lists joined by ``;``, and text a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return) prefixed with
``'``; a file name that is not UTF-8 with its odd bytes as ``\\xNN``
(:func:`hiprom.parsing.printable_name`), so one such name never stops a table.
UTF-8, comma-separated, ``\\n`` line ends, header first. A file (:func:`write_csv`, and
a CSV the server sends as a download) starts with a byte-order mark (:data:`EXCEL_BOM`),
so Excel reads it as UTF-8 rather than in the PC's own code page; text printed to
standard output has none.

And the one reading of a table a clinic typed in a spreadsheet
(:func:`spreadsheet_rows`, :func:`column_name`): readings imported and
pairs of a validation study, as Excel saves them in any country.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hiprom.atomic import atomic_write
from hiprom.errors import InputError
from hiprom.parsing import DEGREE_SIGNS, printable_name
from hiprom.rounding import counted

if TYPE_CHECKING:
    from _csv import _reader

LIST_SEPARATOR = ";"
"""How a list in one cell is joined (flag names, flagged measures)."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXCEL_BOM = "\ufeff"
"""The UTF-8 byte-order mark a CSV file starts with: without it Excel decodes the file in the
PC's code page ("Núñez" as "NÃºÃ±ez", "10°" as "10Â°"). Python reads it with ``utf-8-sig``,
pandas and the other spreadsheets skip it."""


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


def csv_file_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table as the text of a CSV file: byte-order mark first (:data:`EXCEL_BOM`)."""
    return EXCEL_BOM + csv_text(header, rows)


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a table as CSV atomically (never half-written), byte-order mark first; returns the path."""
    target = Path(path)
    text = csv_file_text(header, rows)
    with atomic_write(target, "w") as fh:
        fh.write(text)
    return target


TABLE_STARTS: frozenset[tuple[str, str, str]] = frozenset({
    ("t_s", "left_deg", "left_raw_deg"),          # an analysis's series (analyze --csv, a batch's STEM.series.csv)
    ("session_id", "subject", "age_years"),       # the clinic's exports: PREFIX.summary.csv
    ("session_id", "subject", "trial"),           # PREFIX.trials.csv
    ("session_id", "subject", "frame"),           # PREFIX.series.csv
    ("file", "status", "error"),                  # a batch's summary.csv
    ("file", "trial", "side"),                    # a batch's trials.csv
})
"""The first three columns of each table hiprom writes to a file: what tells a CSV hiprom made
(:func:`is_hiprom_table`) from one it did not. tests/test_tables.py checks every table against it."""


def is_hiprom_table(head: str) -> bool:
    """True when ``head``, the start of a CSV file, has the header of a table hiprom writes
    (:data:`TABLE_STARTS`), also after a spreadsheet saved it again with ``;`` or tabs."""
    header = next(spreadsheet_rows(head), [])
    return tuple(cell.strip() for cell in header[:3]) in TABLE_STARTS


DELIMITERS = ",;\t"
"""Cell separators a spreadsheet saves CSV with: ',' and, where the decimal mark is a comma (European Excel), ';'."""

_UNIT = re.compile(rf"\s*(\(([{DEGREE_SIGNS}]|deg|degrees)\)|\[([{DEGREE_SIGNS}]|deg|degrees)\]|[{DEGREE_SIGNS}])$")


def read_spreadsheet(path: str | os.PathLike[str]) -> str:
    """The text of a CSV file a spreadsheet saved (UTF-8, a byte-order mark allowed).

    Raises:
        InputError: no such file, unreadable, or not UTF-8 (Excel's plain "CSV" on Windows is
            Windows-1252: the message says to save it as "CSV UTF-8").
    """
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at byte {exc.start}); save it "
                         "from your spreadsheet as \"CSV UTF-8\" and try again") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read it ({exc.strerror or exc})") from None


def spreadsheet_rows(text: str) -> _reader:
    """The rows of CSV text a spreadsheet saved: a byte-order mark dropped, cells split by the
    separator (',', ';' or a tab) the header row uses most, any line ends."""
    text = text.removeprefix("\ufeff")
    header = next((line for line in text.splitlines() if line.strip()), "")
    return csv.reader(io.StringIO(text), delimiter=max(DELIMITERS, key=header.count))


def width_problem(n_cells: int, n_header: int, delimiter: str) -> str:
    """Why a row of a spreadsheet's CSV has ``n_cells`` cells where its header has ``n_header``, in words:
    in a comma-separated file, a decimal comma (``45,5``) splits a number into two cells."""
    text = f"{counted(n_cells, 'cell')}, expecting {n_header} as in the header"
    if delimiter == "," and n_cells > n_header:
        text += ("; a decimal comma splits a number in two in a comma-separated file: write 45.5, or save the "
                 "file with semicolons (as Excel does where the decimal mark is a comma)")
    return text


def column_name(header: str, known: Collection[str]) -> str:
    """A header cell as a column name: any case, spaces for underscores, a unit
    ("(°)", "[deg]", "°", "(º)": :data:`~hiprom.parsing.DEGREE_SIGNS`) or the ``_deg`` of a ``known`` name
    left off (``"Left IR (°)"`` -> ``left_ir_deg``)."""
    name = re.sub(r"[\s-]+", "_", _UNIT.sub("", header.strip().lower()).strip())
    return name + "_deg" if name + "_deg" in known else name

