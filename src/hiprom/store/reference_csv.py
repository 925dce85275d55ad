"""Reference readings from a CSV file: every bad row named, nothing stored if any is bad.

Columns (header row, any order, case-insensitive; ``_deg`` or a unit such as
``(°)`` may be left off or added to the angle names; cells separated by
commas or, as European Excel saves them, semicolons): ``session`` (the
session number), ``instrument`` (goniometer, inclinometer, other),
``rater``, ``left_ir_deg``, ``left_er_deg``, ``right_ir_deg``,
``right_er_deg``, ``notes``. Blank angle cells mean "not measured"; each row
needs at least one angle.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

from hiprom.errors import HipromError, InputError
from hiprom.store.references import COLUMNS, ReferenceInput, ReferenceRecord, measure_spelled
from hiprom.tables import column_name, spreadsheet_rows, width_problem

if TYPE_CHECKING:
    from hiprom.store.store import Store

REQUIRED = ("session", "instrument")
OPTIONAL = ("rater", *COLUMNS.values(), "notes")
MAX_ROW_ERRORS = 20
"""A message lists at most this many bad rows (then says how many more)."""


def _parse(text: str, where: str) -> tuple[list[tuple[int, str, ReferenceInput]], list[tuple[int, str]]]:
    """Good rows and (row number, message) of bad ones; ``InputError`` for a bad header or no rows."""
    reader = spreadsheet_rows(text)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{where}: the file is empty; expecting a header row with {', '.join(REQUIRED)}") from None
    except csv.Error as exc:
        raise InputError(f"{where}: not a readable CSV file ({exc})") from None
    names = [column_name(h, COLUMNS.values()) for h in header]
    names = [COLUMNS.get(measure_spelled(n) or "", n) for n in names]  # 'L IR', 'Left internal rotation (°)'
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; "
                         f"expecting {', '.join(REQUIRED + OPTIONAL)}")
    unknown = [h for h, n in zip(header, names) if n not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"{where}: unknown column {unknown[0]!r}; expecting {', '.join(REQUIRED + OPTIONAL)}")
    twice = [h for i, (h, n) in enumerate(zip(header, names)) if n in names[:i]]
    if twice:  # else the last cell of the row would silently win
        raise InputError(f"{where}: column {twice[0]!r} appears twice in the header; keep one and import again")
    out: list[tuple[int, str, ReferenceInput]] = []
    errors: list[tuple[int, str]] = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                errors.append((line, f"row {line}: {width_problem(len(cells), len(names), reader.dialect.delimiter)}"))
                continue
            row = dict(zip(names, cells))
            session = row["session"].strip().lstrip("#")
            if not (session.isascii() and session.isdigit()):
                errors.append((line, f"row {line}: session {row['session']!r} is not a session number"))
                continue
            try:
                reading = ReferenceInput(**{k: row.get(k) for k in ("instrument", *OPTIONAL) if k in row})
            except HipromError as exc:
                errors.append((line, f"row {line}: {exc}"))
                continue
            out.append((line, session, reading))
    except csv.Error as exc:
        errors.append((reader.line_num, f"row {reader.line_num}: not readable CSV ({exc})"))
    if not out and not errors:
        raise InputError(f"{where}: no readings below the header; nothing stored")
    return out, errors


def import_reference_csv(store: Store, text: str, where: str = "CSV") -> list[ReferenceRecord]:
    """Check every row (format and that its session exists), then store all readings in one transaction.

    Raises:
        InputError: any row is bad; nothing is stored.
    """
    rows, errors = _parse(text, where)
    missing = store.missing_sessions([session for _, session, _ in rows])
    errors += [(line, f"row {line}: no session {session} in {store.where}")
               for line, session, _ in rows if session in missing]
    errors += _repeated(store, [row for row in rows if row[1] not in missing])
    if errors:
        raise InputError(_summary(where, [e for _, e in sorted(errors)]))
    return store.add_references([(session, reading) for _, session, reading in rows])


def _repeated(store: Store, rows: list[tuple[int, str, ReferenceInput]]) -> list[tuple[int, str]]:
    """Rows that repeat an earlier row of the file or a stored reading word for word.

    A reading counted twice is a pair counted twice in ``hiprom validate``:
    its intervals narrow as if another person had been measured. So a file
    imported again, or a row pasted twice, is refused rather than stored.
    """
    sessions = {int(session) for _, session, _ in rows}
    stored = {_key(r.session_id, r): r.id for r in store.references() if r.session_id in sessions}
    seen: dict[tuple[Any, ...], int] = {}
    errors = []
    for line, session, reading in rows:
        key = _key(int(session), reading)
        if key in seen:
            errors.append((line, f"row {line}: the same reading as row {seen[key]}; keep one of them "
                                 "(a second measurement: say so in its notes)"))
        elif key in stored:
            errors.append((line, f"row {line}: session {session} has this reading already (#{stored[key]}); "
                                 "it is not stored twice (a second measurement: say so in its notes)"))
        seen.setdefault(key, line)
    return errors


def _key(session_id: int, reading: ReferenceInput | ReferenceRecord) -> tuple[Any, ...]:
    return (session_id, reading.instrument, reading.rater, *reading.angles().values(), reading.notes)


def _summary(where: str, errors: list[str]) -> str:
    shown = errors[:MAX_ROW_ERRORS]
    more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
    return (f"{where}: {len(errors)} bad row(s), nothing stored; fix them and import again:\n  "
            + "\n  ".join(shown) + more)
