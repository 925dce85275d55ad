"""Paired readings for ``hiprom validate``: from the store, from a CSV file, or hiprom re-tests.

A :class:`Pair` is two readings of one measure of one subject at one visit:
``a_deg`` is hiprom's figure, ``b_deg`` the reference instrument's (for a
re-test: ``a_deg`` the first session of the day, ``b_deg`` the second).
Measures are named as in :data:`hiprom.store.MEASURES` (``left_internal``,
``right_external`` ...).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from hiprom.assessment.retest import first_analysed_as
from hiprom.errors import HipromError, InputError
from hiprom.parsing import DEGREE_SIGNS
from hiprom.store import INSTRUMENTS, MEASURES, ReferenceRecord, SessionFigures, SessionRecord, Store
from hiprom.store.records import local_day
from hiprom.store.references import COLUMNS, measure_spelled, parse_angle
from hiprom.tables import column_name, read_spreadsheet, spreadsheet_rows, width_problem

PAIR_COLUMNS = ("measure", "hiprom_deg", "reference_deg")
PAIR_OPTIONAL = ("subject", "session", "rater", "instrument")
MAX_ROW_ERRORS = 20


@dataclass(frozen=True)
class Pair:
    """Two readings of one measure, in degrees (``a_deg``: hiprom or first session; ``b_deg``: reference or re-test).

    ``subject``, ``session``, ``rater`` and ``instrument`` say where the pair
    came from (any may be ``None`` for a CSV that leaves them out); ``row`` is
    the row of a pairs CSV it was read from (header = row 1; a wide sheet's row
    gives up to four pairs, one person's visit), ``None`` for the store's.
    """

    measure: str
    a_deg: float
    b_deg: float
    subject: str | None = None
    session: str | None = None
    rater: str | None = None
    instrument: str | None = None
    row: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return asdict(self)


def stored_readings(
    store: Store,
    *,
    subject: str | None = None,
    since: date | None = None,
    until: date | None = None,
    instrument: str | None = None,
    rater: str | None = None,
) -> tuple[list[Pair], list[dict[str, str]]]:
    """The store's reference readings that match the filters, read once: ``(pairs, unpaired)``.

    A reading pairs with its session's summary figure of the same measure (``pairs``); an angle
    the instrument read whose side hiprom could not measure in that session has no figure to pair
    with, and is listed as ``{"session": "12", "measure": "right_external"}`` (``unpaired``).
    """
    pairs: list[Pair] = []
    unpaired: list[dict[str, str]] = []
    for reading, measure, ours, ref in _reading_angles(store, subject, since, until, instrument, rater):
        if ours is None:
            unpaired.append({"session": str(reading.session_id), "measure": measure})
        else:
            pairs.append(Pair(measure, float(ours), ref, reading.subject, str(reading.session_id), reading.rater,
                              reading.instrument))
    return pairs, unpaired


def stored_pairs(store: Store, **filters: Any) -> list[Pair]:
    """The pairs of :func:`stored_readings` (same filters)."""
    return stored_readings(store, **filters)[0]


def stored_unpaired(store: Store, **filters: Any) -> list[dict[str, str]]:
    """The unpaired angles of :func:`stored_readings` (same filters)."""
    return stored_readings(store, **filters)[1]


def _reading_angles(store: Store, subject: str | None, since: date | None, until: date | None,
                    instrument: str | None, rater: str | None,
                    ) -> Iterable[tuple[ReferenceRecord, str, float | None, float]]:
    """(reading, measure, hiprom's figure or None, the instrument's angle) of each angle the readings hold."""
    readings = store.references(subject=subject, since=since, until=until, instrument=instrument, rater=rater)
    sessions: dict[int, SessionFigures] = {s.id: s for s in store.figures(subject)} if readings else {}
    for reading in readings:
        session = sessions.get(reading.session_id)
        if session is None:
            continue
        for measure, ref in reading.angles().items():
            if ref is not None:
                yield reading, measure, getattr(session, COLUMNS[measure]), float(ref)


def stored_retest_pairs(store: Store, *, subject: str | None = None, since: date | None = None,
                        until: date | None = None) -> list[Pair]:
    """Same-day re-test pairs (:func:`retest_pairs`) of the store's sessions, filtered by subject and days."""
    first, last = since or date.min, until or date.max
    return retest_pairs([s for s in store.figures(subject) if first <= local_day(s.recorded_utc) <= last])


def retest_pairs(sessions: Sequence[SessionFigures | SessionRecord]) -> list[Pair]:
    """(first, second) pairs of hiprom sessions of one subject on one day (the clinic's day,
    :func:`~hiprom.store.records.local_day`), per measure.

    Sessions without a subject cannot be paired. When a subject has more
    than two sessions on a day, the first two (by time) count, so each
    subject-day contributes one pair per measure. A session with exercises
    counted (``SessionFigures.exercised``: test, exercises, test again) is
    no first of a pair: the test after it measures the exercises' effect as
    well as hiprom's noise, and would make the MDC hide that very effect.
    A session analysing again an earlier one's recording
    (:func:`~hiprom.assessment.retest.same_recording`) is that one measurement,
    not a second: left out.
    """
    by_day: dict[tuple[str, date], list[SessionFigures | SessionRecord]] = defaultdict(list)
    ordered = sorted(sessions, key=lambda s: (s.recorded_utc, s.id))
    repeats = first_analysed_as([getattr(s, "recording_sha256", None) for s in ordered])
    for s, repeat in zip(ordered, repeats):
        if s.subject and repeat is None:
            by_day[(s.subject, local_day(s.recorded_utc))].append(s)
    out = []
    for (subject, _day), group in sorted(by_day.items()):
        group = sorted(group, key=lambda s: (s.recorded_utc, s.id))
        starts = [i for i, s in enumerate(group[:-1]) if not getattr(s, "exercised", False)]
        if not starts:
            continue
        first, second = group[starts[0]], group[starts[0] + 1]
        for measure in MEASURES:
            a, b = getattr(first, COLUMNS[measure]), getattr(second, COLUMNS[measure])
            if a is not None and b is not None:
                out.append(Pair(measure, float(a), float(b), subject, f"{first.id}+{second.id}"))
    return out


def read_pairs_csv(path: str | Path) -> tuple[list[Pair], list[dict[str, str]]]:
    """Pairs from a CSV with columns ``measure, hiprom_deg, reference_deg`` (+ optional ``subject, session, rater,
    instrument``), or one row per person and visit with a hiprom and a reference column per measure
    (``hiprom L IR``, ``Goniometer L IR`` ...), and the readings with one side or none: ``(pairs, unpaired)``,
    each unpaired as ``{"row": "5", "measure": "left_internal"}`` (header = row 1), left out as the store's are.

    Raises:
        InputError: the file is unreadable, a column is missing, or rows are
            bad (one line per bad row, header = row 1).
    """
    return parse_pairs_csv(read_spreadsheet(path), str(path))


def parse_pairs_csv(text: str, where: str = "CSV") -> tuple[list[Pair], list[dict[str, str]]]:
    """Pairs from CSV text; see :func:`read_pairs_csv`. A wide sheet (:func:`_wide_layout`: one row per person
    and visit, a hiprom and a reference column per measure) is read as its rows of four pairs."""
    reader = spreadsheet_rows(text)
    try:
        cells = next(reader)
    except StopIteration:
        raise InputError(f"{where}: the file is empty; expecting columns {', '.join(PAIR_COLUMNS)}") from None
    except csv.Error as exc:
        raise InputError(f"{where}: not a readable CSV file ({exc})") from None
    rows_of = _wide_layout(cells, where) or _long_layout(cells, where)
    pairs: list[Pair] = []
    unpaired: list[dict[str, str]] = []
    errors: list[str] = []
    try:
        for line, row_cells in enumerate(reader, start=2):
            if not any(c.strip() for c in row_cells):
                continue
            if len(row_cells) != len(cells):
                errors.append(f"row {line}: {width_problem(len(row_cells), len(cells), reader.dialect.delimiter)}")
                continue
            for row in rows_of([c.strip() for c in row_cells]):
                try:
                    measure, pair = _pair(row)
                except HipromError as exc:
                    errors.append(f"row {line}: {exc}")
                    continue
                if pair is None:
                    unpaired.append({"row": str(line), "measure": measure})
                else:
                    pairs.append(replace(pair, row=str(line)))
    except csv.Error as exc:
        errors.append(f"row {reader.line_num}: not readable CSV ({exc})")
    if errors:
        shown = errors[:MAX_ROW_ERRORS]
        more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise InputError(f"{where}: {len(errors)} bad row(s); fix them and run again:\n  " + "\n  ".join(shown) + more)
    return pairs, unpaired


Layout = Callable[[list[str]], list[dict[str, str]]]
"""A row's cells -> its rows in the pairs file's own columns (``measure``, ``hiprom_deg``, ``reference_deg`` ...)."""


def _long_layout(cells: list[str], where: str) -> Layout:
    """The layout of a file with one pair per row (``measure, hiprom_deg, reference_deg``); ``InputError`` for a
    header without them or with one of them twice."""
    header = [column_name(h, PAIR_COLUMNS + PAIR_OPTIONAL) for h in cells]
    named = [n.removesuffix("_deg") for n in header]
    instrument = next((n for n in named if n in INSTRUMENTS), None)  # 'Goniometer (°)': the reference's column
    header = ["reference_deg" if n in INSTRUMENTS else h for h, n in zip(header, named)]
    missing = [c for c in PAIR_COLUMNS if c not in header]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; expecting "
                         f"{', '.join(PAIR_COLUMNS)} (or the instrument's name, 'goniometer', for reference_deg) "
                         f"and optionally {', '.join(PAIR_OPTIONAL)}; or one row per person and visit with "
                         "columns such as 'hiprom L IR' and 'Goniometer L IR'")
    _check_once(cells, header, PAIR_COLUMNS + PAIR_OPTIONAL, where)

    def rows(values: list[str]) -> list[dict[str, str]]:
        row = dict(zip(header, values))
        if instrument and not row.get("instrument"):
            row["instrument"] = instrument
        return [row]

    return rows


_HIPROM_WORDS = frozenset({"hiprom"})
_REFERENCE_WORDS: dict[str, str | None] = {"reference": None, "ref": None, "goniometer": "goniometer",
                                           "gonio": "goniometer", "inclinometer": "inclinometer"}
"""How a wide sheet's column names its reader, before or after the measure: hiprom, or the reference (by
its instrument's name, which then names the instrument of the column's pairs)."""


def _wide_column(header: str) -> tuple[str, str, str | None] | None:
    """``("hiprom" or "reference", measure, instrument or None)`` of a wide sheet's column heading
    (``hiprom L IR``, ``Goniometer left IR (°)``, ``L IR gonio``, ``left_ir_hiprom_deg``), else ``None``."""
    words = [w for w in re.split(r"[\W_]+", column_name(header, ())) if w not in ("", "deg", "degrees", *DEGREE_SIGNS)]
    for reader, rest in ((words[:1], words[1:]), (words[-1:], words[:-1])):
        measure = measure_spelled(" ".join(rest)) if rest else None
        if measure is not None and reader[0] in _HIPROM_WORDS:
            return "hiprom", measure, None
        if measure is not None and reader[0] in _REFERENCE_WORDS:
            return "reference", measure, _REFERENCE_WORDS[reader[0]]
    return None


def _wide_layout(cells: list[str], where: str) -> Layout | None:
    """The layout of a wide sheet: one row per person and visit, a hiprom and a reference column per measure
    (``hiprom L IR``, ``Goniometer L IR`` ...), ``subject``/``session``/``rater``/``instrument`` columns as in a
    pairs file and any others (the visit's date) ignored. ``None`` when the header is not such a sheet (no such
    column, or a ``measure`` column).

    Raises:
        InputError: a measure has a hiprom column and no reference column, or the other way round, or two of
            either.
    """
    header = [column_name(h, PAIR_COLUMNS + PAIR_OPTIONAL) for h in cells]
    found = {i: _wide_column(h) for i, h in enumerate(cells)}
    columns = {i: f for i, f in found.items() if f is not None}
    if not columns or "measure" in header:
        return None
    where_is: dict[tuple[str, str], int] = {}
    for i, (reader, measure, _) in columns.items():
        if (reader, measure) in where_is:
            raise InputError(f"{where}: columns {cells[where_is[reader, measure]]!r} and {cells[i]!r} both hold "
                             f"{'hiprom' if reader == 'hiprom' else 'the reference'}'s {measure}; keep one and run "
                             "again")
        where_is[reader, measure] = i
    for (reader, measure), i in where_is.items():
        other = "reference" if reader == "hiprom" else "hiprom"
        if (other, measure) not in where_is:
            named = "'hiprom'" if other == "hiprom" else "the instrument's name ('Goniometer') or 'reference'"
            raise InputError(f"{where}: column {cells[i]!r} has no {other} column of {measure} to pair with ("
                             f"{named} and the measure, as in this column); add it, or take the column out")
    _check_once(cells, header, PAIR_OPTIONAL, where)
    kept = {n: i for i, n in enumerate(header) if n in PAIR_OPTIONAL}
    measures = [m for m in MEASURES if ("hiprom", m) in where_is]

    def rows(values: list[str]) -> list[dict[str, str]]:
        out = []
        for measure in measures:
            ours, theirs = where_is["hiprom", measure], where_is["reference", measure]
            row = {name: values[i] for name, i in kept.items()}
            row.update(measure=measure, hiprom_deg=values[ours], reference_deg=values[theirs])
            row["instrument"] = row.get("instrument") or columns[theirs][2] or ""
            out.append(row)
        return out

    return rows


def _check_once(cells: list[str], header: list[str], names: Sequence[str], where: str) -> None:
    """``InputError`` when two columns hold one of ``names`` (else the last cell of a row would silently win)."""
    twice = [i for i, n in enumerate(header) if n in header[:i] and n in names]
    if twice:
        again = twice[0]
        first = header.index(header[again])
        raise InputError(f"{where}: columns {cells[first]!r} and {cells[again]!r} both hold {header[again]}; "
                         "keep one and run again")


def measure_name(text: str) -> str:
    """The measure (``left_internal`` ...) a pairs file names in ``text``
    (:func:`~hiprom.store.references.measure_spelled`).

    Raises:
        InputError: no measure is written so.
    """
    measure = measure_spelled(text)
    if measure is None:
        raise InputError(f"measure {text!r} is unknown, expecting one of {{{', '.join(MEASURES)}}} "
                         "(or as hiprom prints them, 'Left internal rotation', or 'left IR')")
    return measure


def _pair(row: dict[str, str]) -> tuple[str, Pair | None]:
    """The row's measure and pair; ``None`` when a reading is blank or marked not measured."""
    measure = measure_name(row["measure"])
    a = parse_angle(row["hiprom_deg"], "hiprom_deg")
    b = parse_angle(row["reference_deg"], "reference_deg")
    if a is None or b is None:
        return measure, None
    return measure, Pair(measure, a, b, *(row.get(k) or None for k in PAIR_OPTIONAL))
