"""The one CSV writer: every CSV hiprom writes (series, report tables, batch summary).

Cells follow one rule (:func:`cell`): empty for None, ``true``/``false``
for booleans, lists joined by ``;``, and text a spreadsheet would run as a
formula (starting with ``= + - @``, a tab or a carriage return) prefixed with
``'``, as is text that starts with ``'`` itself, so that one ``'`` less is always the text
(:func:`plain`: ``'=1+1.mp4`` is the file ``=1+1.mp4``, ``''x.mp4`` the file ``'x.mp4``); a file name that is not UTF-8 with its odd bytes as ``\\xNN``
(:func:`hiprom.parsing.printable_name`), so one such name never stops a table.
UTF-8, comma-separated with a decimal point (:data:`COMMAS`, the default: what scripts, pandas and R read),
or, on request, separated by ``;`` with a decimal comma (:data:`SEMICOLONS`: how Excel opens a CSV by a
double-click where the decimal mark is a comma, as in Germany or France), ``\\n`` line ends, header first. A file (:func:`write_csv`, and
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
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Literal
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
_ESCAPE = "'"
"""What :func:`cell` puts before a text a spreadsheet would run as a formula, and before one that starts with it."""

EXCEL_BOM = "\ufeff"
"""The UTF-8 byte-order mark a CSV file starts with: without it Excel decodes the file in the
PC's code page ("Núñez" as "NÃºÃ±ez", "10°" as "10Â°"). Python reads it with ``utf-8-sig``,
pandas and the other spreadsheets skip it."""


@dataclass(frozen=True)
class CsvStyle:
    """How cells are separated and a number's decimals marked.

    Attributes:
        delimiter: between cells.
        decimal: the decimal mark of numbers (never of words: a sentence keeps its "27.0°").
    """

    delimiter: str
    decimal: str


COMMAS = CsvStyle(",", ".")
"""The default: ``,`` between cells, ``31.5``; machine-readable (scripts, pandas, R, Excel in English)."""
SEMICOLONS = CsvStyle(";", ",")
"""``;`` between cells, ``31,5``: what Excel opens by a double-click, and saves, where the decimal mark is a
comma (German, French, Spanish, Italian, Dutch, ... Windows settings); the clinic's import reads it back
(:func:`spreadsheet_rows`, decimal commas). R's ``write.csv2``, pandas ``sep=";", decimal=","``."""
CsvStyleName = Literal["commas", "semicolons"]
"""A style's name, as ``--csv-style`` and the server's ``?csv-style=`` take it."""
CSV_STYLES: dict[CsvStyleName, CsvStyle] = {"commas": COMMAS, "semicolons": SEMICOLONS}
"""The styles by the name a command's ``--csv-style`` option takes."""


def cell(value: Any, style: CsvStyle = COMMAS) -> Any:
    """A CSV cell: '' for None, bools as true/false, lists joined by ';', formulas defused (reversibly:
    :func:`plain`), valid UTF-8, a number's decimals marked as ``style`` says."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and style.decimal != ".":
        return repr(float(value)).replace(".", style.decimal)
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, str):
        value = value if value.isascii() else printable_name(value)
        if value[:1] in (*_FORMULA_STARTS, _ESCAPE):
            return _ESCAPE + value
    return value


def plain(text: str) -> str:
    """The text of a CSV cell :func:`cell` wrote: its one leading ``'`` removed, if any (``'=1+1.mp4`` -> ``=1+1.mp4``).

    Before, a file ``'=1+1.mp4`` and a file ``=1+1.mp4`` were both written ``'=1+1.mp4``.
    """
    return text[len(_ESCAPE):] if text.startswith(_ESCAPE) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], style: CsvStyle = COMMAS) -> str:
    """A table as CSV text."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=style.delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v, style) for v in row] for row in rows)
    return buf.getvalue()


def csv_file_text(header: Sequence[str], rows: Iterable[Sequence[Any]], style: CsvStyle = COMMAS) -> str:
    """A table as the text of a CSV file: byte-order mark first (:data:`EXCEL_BOM`)."""
    return EXCEL_BOM + csv_text(header, rows, style)


def write_csv(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]],
              style: CsvStyle = COMMAS) -> Path:
    """Write a table as CSV atomically (never half-written), byte-order mark first; returns the path."""
    target = Path(path)
    text = csv_file_text(header, rows, style)
    with atomic_write(target, "w") as fh:
        fh.write(text)
    return target


TABLE_STARTS: frozenset[tuple[str, str, str]] = frozenset({
    ("t_s", "left_deg", "left_raw_deg"),          # an analysis's series (analyze --csv, a batch's STEM.series.csv)
    ("session_id", "subject", "age_years"),       # the clinic's exports: PREFIX.summary.csv
    ("session_id", "subject", "trial"),           # PREFIX.trials.csv
    ("session_id", "subject", "frame"),           # PREFIX.series.csv
    ("session_id", "subject", "exercise"),        # PREFIX.exercises.csv
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


COLUMN_SPELLINGS: dict[str, str] = {
    "patient": "subject",
    "pseudonym": "subject",
    "visit_date": "date",
    "date_of_visit": "date",
}
"""Other names a clinic's sheet gives a column (as :func:`column_name` reads them) -> hiprom's: the subject
(hiprom's pseudonym) and the day of the visit."""


def column_name(header: str, known: Collection[str]) -> str:
    """A header cell as a column name: any case, spaces for underscores, a unit
    ("(°)", "[deg]", "°", "(º)": :data:`~hiprom.parsing.DEGREE_SIGNS`) or the ``_deg`` of a ``known`` name
    left off (``"Left IR (°)"`` -> ``left_ir_deg``), another name for it (:data:`COLUMN_SPELLINGS`:
    ``"Visit date"`` -> ``date``) as hiprom's."""
    name = re.sub(r"[\s-]+", "_", _UNIT.sub("", header.strip().lower()).strip())
    name = COLUMN_SPELLINGS.get(name, name)
    return name + "_deg" if name + "_deg" in known else name



DAY_FORMS = "2026-02-20, 20/02/2026, 02/20/2026 or 20.02.2026"
"""How a spreadsheet's date cell may be written (a time may follow: ``20/02/2026 10:15``)."""

_ISO_DAY = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", re.ASCII)
_NUMBERED_DAY = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})", re.ASCII)
_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*(?:([ap])\.?\s?m\.?)?", re.ASCII | re.IGNORECASE)


def day_first_of(cells: Iterable[str]) -> bool | None:
    """Whether a column of dates puts the day before the month: ``True`` when one of them has a first number
    past 12 (``20/02/2026``), ``False`` when one has a second number past 12 (``02/20/2026``), ``None`` when
    no date needs to know (ISO dates, ``20.02.2026``, ``05/05/2026``). A spreadsheet writes every date of a
    file in one order.

    Raises:
        InputError: the column holds both orders, or only dates that read as two days (``03/02/2026``).
    """
    seen: dict[bool, str] = {}
    unsure = None
    for text in cells:
        found = _NUMBERED_DAY.match(text.strip())
        if found and found.group(2) != ".":
            first, second = int(found.group(1)), int(found.group(3))
            if first > 12 >= second or second > 12 >= first:
                seen.setdefault(first > 12, found.group(0))
            elif first != second and unsure is None:
                unsure = (first, second, found.group(0))
    if len(seen) == 2:
        raise InputError(f"the dates put the day first ({seen[True]}) and the month first ({seen[False]}) "
                         "in one file; write them one way (2026-02-20 is read everywhere)")
    if not seen and unsure is not None:
        raise InputError(_two_days(*unsure))
    return next(iter(seen), None)


def _two_days(a: int, b: int, text: str) -> str:
    return (f"date: {text} may be {_spoken(a, b)} or {_spoken(b, a)}, and no date of the file has a day past 12 "
            "to tell; say which comes first: --day-first or --month-first (2026-02-20 needs neither)")


def sheet_day(text: str, day_first: bool | None) -> tuple[date, time | None]:
    """The day, and the time if one follows it, of a spreadsheet's date cell (:data:`DAY_FORMS`).

    ``20.02.2026`` puts the day first (as Excel writes it where dates have dots); ``a/b/yyyy`` and
    ``a-b-yyyy`` put it first when ``day_first`` (see :func:`day_first_of`), else the month. A time of
    exactly midnight is no time: it is how a date-only cell comes out of a date-time column
    (``2026-02-20 00:00:00``).

    Raises:
        InputError: not such a date, a two-digit year, or ``day_first`` is ``None`` for a date that
            reads as two days (``03/02/2026``: 3 February or 2 March).
    """
    cell = text.strip()
    iso = _ISO_DAY.match(cell)
    numbered = None if iso else _NUMBERED_DAY.match(cell)
    found = iso or numbered
    rest = cell[found.end():].strip().removeprefix("T").strip() if found else ""
    if found is None or (rest and not _CLOCK.fullmatch(rest)):
        raise InputError(f"date: {text!r} is not a date; write it like {DAY_FORMS}")
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        assert numbered is not None
        first, mark, second, year_text = numbered.groups()
        if len(year_text) != 4:
            raise InputError(f"date: {text!r} has a {len(year_text)}-digit year; write the year in full (2026)")
        a, b, year = int(first), int(second), int(year_text)
        day_is_first = True if mark == "." or a == b else day_first if day_first is not None else (
            True if a > 12 else False if b > 12 else None)
        if day_is_first is None:
            raise InputError(_two_days(a, b, numbered.group(0)))
        day, month = (a, b) if day_is_first else (b, a)
    at = sheet_time(rest) if rest else None
    try:
        return date(year, month, day), None if at == time(0) else at
    except ValueError:
        order = "" if iso else " (day first)" if day_is_first else " (month first)"
        raise InputError(f"date: {text!r} is not a day of the calendar{order}; write it like {DAY_FORMS}") from None


def sheet_time(text: str) -> time:
    """The time of day of a spreadsheet's time cell: ``10:15``, ``10:15:30``, ``9:15 AM``, ``10.15``.

    Raises:
        InputError: not such a time.
    """
    found = _CLOCK.fullmatch(text.strip())
    hour, minute, second = (int(g) if g else 0 for g in found.groups()[:3]) if found else (-1, 0, 0)
    half = found.group(4) if found else None
    if half and 1 <= hour <= 12:  # 12:30 AM is 00:30, 12:30 PM is 12:30
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    elif half:
        hour = -1
    try:
        return time(hour, minute, second)
    except ValueError:
        raise InputError(f"time: {text!r} is not a time of day; write it like 10:15 or 9:15 AM") from None


def _spoken(day: int, month: int) -> str:
    return f"{day} {date(2000, month, 1):%B}"
