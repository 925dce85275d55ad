"""Reference readings from a CSV file: every bad row named, nothing stored if any is bad.

Columns (header row, any order, case-insensitive; ``_deg`` or a unit such as
``(°)`` may be left off or added to the angle names; cells separated by
commas or, as European Excel saves them, semicolons): ``session`` (the
session number) or, as a clinic's goniometer sheet is kept, ``subject`` and
``date`` (and perhaps ``time``) of the visit to find the session by;
``instrument`` (goniometer, inclinometer, other), ``rater``,
``left_ir_deg``, ``left_er_deg``, ``right_ir_deg``, ``right_er_deg``,
``notes``. Blank angle cells mean "not measured"; each row needs at least
one angle.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from hiprom.errors import HipromError, InputError
from hiprom.parsing import record_id
from hiprom.store.records import RecordNotFound, SessionFigures, local_day, local_time
from hiprom.store.references import COLUMNS, ReferenceInput, ReferenceRecord, measure_spelled
from hiprom.tables import column_name, day_first_of, sheet_day, sheet_time, spreadsheet_rows, width_problem

if TYPE_CHECKING:
    from hiprom.store.store import Store

REQUIRED = ("instrument",)
VISIT = ("session", "subject", "date", "time")
READING = ("rater", *COLUMNS.values(), "notes")
OPTIONAL = (*VISIT, *READING)
MAX_ROW_ERRORS = 20
"""A message lists at most this many bad rows (then says how many more)."""

TIME_WINDOW = timedelta(minutes=30)
"""A reading with a time goes with the subject's session of that day nearest to it, at most this far away
(the protocol takes the instrument's readings within a few minutes of the hiprom test)."""


@dataclass(frozen=True)
class Visit:
    """Where a row's reading belongs: a session number, or a subject's day (and time) to find it by.

    With both, the session decides and the subject and day are checked against it.
    """

    session: str | None
    subject: str | None
    day: date | None
    at: time | None


def _parse(text: str, where: str, day_first: bool | None,
           ) -> tuple[list[tuple[int, Visit, ReferenceInput]], list[tuple[int, str]]]:
    """Good rows and (row number, message) of bad ones; ``InputError`` for a bad header or no rows."""
    reader = spreadsheet_rows(text)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{where}: the file is empty; expecting a header row with session (or subject and "
                         f"date) and {', '.join(REQUIRED)}") from None
    except csv.Error as exc:
        raise InputError(f"{where}: not a readable CSV file ({exc})") from None
    names = [column_name(h, COLUMNS.values()) for h in header]
    names = [COLUMNS.get(measure_spelled(n) or "", n) for n in names]  # 'L IR', 'Left internal rotation (°)'
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; "
                         f"expecting {', '.join(REQUIRED + OPTIONAL)}")
    if "session" not in names and not {"subject", "date"} <= set(names):
        raise InputError(f"{where}: no session column, nor subject and date columns to find each session by; "
                         f"expecting {', '.join(REQUIRED + OPTIONAL)}")
    unknown = [h for h, n in zip(header, names) if n not in REQUIRED + OPTIONAL]
    if unknown:
        raise InputError(f"{where}: unknown column {unknown[0]!r}; expecting {', '.join(REQUIRED + OPTIONAL)}")
    twice = [h for i, (h, n) in enumerate(zip(header, names)) if n in names[:i]]
    if twice:  # else the last cell of the row would silently win
        raise InputError(f"{where}: column {twice[0]!r} appears twice in the header; keep one and import again")
    out: list[tuple[int, Visit, ReferenceInput]] = []
    errors: list[tuple[int, str]] = []
    lines: list[tuple[int, list[str]]] = []
    try:
        lines = [(line, cells) for line, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)]
    except csv.Error as exc:
        errors.append((reader.line_num, f"row {reader.line_num}: not readable CSV ({exc})"))
    if "date" in names and day_first is None:
        column = names.index("date")
        try:
            day_first = day_first_of(cells[column] for _, cells in lines if len(cells) == len(names))
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    for line, cells in lines:
        if len(cells) != len(names):
            errors.append((line, f"row {line}: {width_problem(len(cells), len(names), reader.dialect.delimiter)}"))
            continue
        row = {n: c.strip() for n, c in zip(names, cells)}
        try:
            visit = _visit(row, day_first)
            reading = ReferenceInput(**{k: row[k] for k in ("instrument", *READING) if k in row})
        except HipromError as exc:
            errors.append((line, f"row {line}: {exc}"))
            continue
        out.append((line, visit, reading))
    if not out and not errors:
        raise InputError(f"{where}: no readings below the header; nothing stored")
    return out, errors


def _visit(row: dict[str, str], day_first: bool | None) -> Visit:
    """The row's :class:`Visit`; ``InputError`` for a session that is no number, a bad date or time, or none."""
    session = row.get("session", "").lstrip("#") or None
    if session is not None and record_id(session) is None:
        raise InputError(f"session {row['session']!r} is not a session number")
    day, at = sheet_day(row["date"], day_first) if row.get("date") else (None, None)
    if row.get("time"):
        at = sheet_time(row["time"])
    subject = row.get("subject") or None
    if session is None and (subject is None or day is None):
        raise InputError("no session number, nor a subject and a date to find the session by")
    return Visit(session, subject, day, at)


def import_reference_csv(store: Store, text: str, where: str = "CSV",
                         day_first: bool | None = None) -> list[ReferenceRecord]:
    """Check every row (format, and that its session exists or is found by subject and day), then store all
    readings in one transaction.

    ``day_first`` says how to read dates such as ``03/02/2026`` (3 February when ``True``); ``None``: as the
    file's other dates settle it (:func:`~hiprom.tables.day_first_of`).

    Raises:
        InputError: any row is bad; nothing is stored.
    """
    rows, errors = _parse(text, where, day_first)
    found = _Sessions(store)
    matched: list[tuple[int, str, ReferenceInput]] = []
    for line, visit, reading in rows:
        try:
            matched.append((line, found.of(visit), reading))
        except HipromError as exc:
            errors.append((line, f"row {line}: {exc}"))
    errors += _repeated(store, matched)
    if errors:
        raise InputError(_summary(where, [e for _, e in sorted(errors)]))
    return store.add_references([(session, reading) for _, session, reading in matched])


class _Sessions:
    """The store's sessions as the rows of one file name them, read once."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_id = {f.id: f for f in store.figures()}
        self._by_subject: dict[str | None, list[SessionFigures]] = defaultdict(list)
        for f in self._by_id.values():
            self._by_subject[f.subject].append(f)
        self._subjects: dict[str, str] = {}

    def of(self, visit: Visit) -> str:
        """The number of the session ``visit`` names (``InputError`` saying why none, in a row's words)."""
        subject = None if visit.subject is None else self._pseudonym(visit.subject)
        if visit.session is not None:
            session = self._by_id.get(record_id(visit.session) or -1)
            if session is None:
                raise InputError(f"no session {visit.session} is stored; check the session number")
            if subject is not None and session.subject != subject:
                whose = f"{session.subject}'s" if session.subject else "saved without a subject"
                raise InputError(f"session {session.id} is {whose}, not {subject}'s; check the session number")
            if visit.day is not None and local_day(session.recorded_utc) != visit.day:
                raise InputError(f"session {session.id} was on {local_day(session.recorded_utc)}, not {visit.day}; "
                                 "check the session number and the date")
            return str(session.id)
        assert subject is not None and visit.day is not None
        return str(self._on_day(subject, visit.day, visit.at).id)

    def _pseudonym(self, text: str) -> str:
        """The stored pseudonym ``text`` names, by the store's one rule (other capitals or accents alike).

        A row's words, for the terminal and the API alike: what to check, never the store's file."""
        if text not in self._subjects:
            try:
                self._subjects[text] = self._store.subject(text).pseudonym
            except RecordNotFound:
                raise InputError(f"no subject {text!r} is stored; check the pseudonym, or leave the row out "
                                 "if hiprom did not test them") from None
        return self._subjects[text]

    def _on_day(self, subject: str, day: date, at: time | None) -> SessionFigures:
        """The subject's one session on ``day`` (nearest ``at`` within :data:`TIME_WINDOW`, if given)."""
        theirs = self._by_subject[subject]
        that_day = [f for f in theirs if local_day(f.recorded_utc) == day]
        if not that_day:
            days = sorted({local_day(f.recorded_utc) for f in theirs}, key=lambda d: abs(d - day))[:3]
            on = f"sessions on {', '.join(d.isoformat() for d in sorted(days))}" if days else "no sessions"
            raise InputError(f"{subject} has no session on {day} ({on}); check the date, or leave the row out "
                             "if hiprom did not test them that day")
        if at is None:
            if len(that_day) == 1:
                return that_day[0]
            raise InputError(f"{subject} has {len(that_day)} sessions on {day} ({_times(that_day)}); give the time "
                             "of the reading in a time column, or the session number in a session column")
        when = datetime.combine(day, at)
        apart = sorted((abs(local_time(f.recorded_utc).replace(tzinfo=None) - when), f.id, f) for f in that_day)
        near = [(gap, f) for gap, _, f in apart if gap <= TIME_WINDOW]
        if not near:
            raise InputError(f"{subject} has no session within {TIME_WINDOW.seconds // 60} minutes of {at:%H:%M} on "
                             f"{day} ({_times(that_day)}); check the time")
        tied = [f for gap, f in near if gap - near[0][0] < timedelta(minutes=1)]
        if len(tied) > 1:
            raise InputError(f"{subject} has {len(tied)} sessions as near to {at:%H:%M} on {day} "
                             f"({_times(tied)}); give the session number in a session column")
        return near[0][1]


def _times(sessions: list[SessionFigures]) -> str:
    """``#2 at 10:00, #3 at 10:40``: sessions of one day on the clinic's clock."""
    return ", ".join(f"#{f.id} at {local_time(f.recorded_utc):%H:%M}" for f in sessions)


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
