"""Reference readings: a clinician's own instrument readings stored beside a session.

A clinic that checks hiprom against the instrument it trusts (a goniometer
or an inclinometer) records, next to a hiprom session, what that instrument
read: internal (IR) and external (ER) rotation per side, any subset, with
the instrument and the rater. ``hiprom validate`` pairs them with the
session's own figures. One session may have several readings (two raters,
two instruments).

:class:`ReferenceInput` is the one definition of a reading's fields and
their checks (CLI options, REST body and CSV rows all go through it);
:class:`ReferenceStore` adds the store's methods (mixed into ``Store``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from hiprom.errors import InputError
from hiprom.landmarks import SIDES
from hiprom.parsing import DEGREE_SIGNS, ascii_int, folded
from hiprom.store.records import RecordNotFound, iso_utc, local_midnight_utc, utc_now
from hiprom.store.schema import ReferenceRow, SessionRow, SubjectRow

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

INSTRUMENTS: tuple[str, ...] = ("goniometer", "inclinometer", "other")
"""Instruments a reference reading can come from."""

DIRECTIONS: tuple[str, ...] = ("internal", "external")

MEASURES: tuple[str, ...] = tuple(f"{side}_{d}" for side in SIDES for d in DIRECTIONS)
"""What a reading holds, in report order: ``left_internal``, ``left_external``, ``right_internal``, ``right_external``."""

COLUMNS: dict[str, str] = {f"{side}_{d}": f"{side}_{d[0]}r_deg" for side in SIDES for d in DIRECTIONS}
"""Measure -> field of a reading and of a stored session (``left_internal`` -> ``left_ir_deg``)."""

_SIDE_WORDS = {side: (side, side[0]) for side in SIDES}
_DIRECTION_WORDS = {"internal": ("internal", "internal rotation", "ir"),
                    "external": ("external", "external rotation", "er")}
MEASURE_SPELLINGS: dict[str, str] = {
    f"{side_word} {direction_word}": f"{side}_{direction}"
    for side, side_words in _SIDE_WORDS.items() for side_word in side_words
    for direction, direction_words in _DIRECTION_WORDS.items() for direction_word in direction_words
}
"""How a clinic may write a measure, spaces for ``_`` and any case -> its name: ``left_internal``,
``Left internal rotation`` (as hiprom prints it), ``left IR`` / ``left_ir`` (the readings' column), ``L IR``
(as hiprom's tables head it)."""


def measure_spelled(text: str) -> str | None:
    """The measure (``left_internal`` ...) ``text`` names as a clinic may write it (:data:`MEASURE_SPELLINGS`;
    spaces, ``_`` and ``-`` alike, any case), else ``None``."""
    return MEASURE_SPELLINGS.get(re.sub(r"[\s_-]+", " ", text.strip().lower()))



ANGLE_RANGE_DEG = (-30.0, 120.0)
"""Readings outside this are typing slips (seated hip rotation is 0-60 deg, rarely past 90)."""

RATER_MAX = 200
NOTES_MAX = 2000
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", re.ASCII)
"""Degrees as typed: ``32``, ``-4.5``, or with a decimal comma (``32,5``) as European spreadsheets write them."""


NOT_MEASURED = frozenset({"-", "–", "—", "na", "n/a", "#n/a"})
"""What a spreadsheet cell holds for a reading not taken, besides nothing: a dash, NA, N/A, or Excel's #N/A."""


def parse_angle(value: Any, name: str) -> float | None:
    """An angle in degrees from a number or text (``"32"``, ``"-4.5"``, ``"32,5"``, ``"35°"``, ``"35º"``);
    ``None`` if blank or marked not measured (:data:`NOT_MEASURED`).

    Raises:
        InputError: not a plain number, or outside :data:`ANGLE_RANGE_DEG`.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in NOT_MEASURED | {""}):
        return None
    if isinstance(value, bool):
        raise InputError(f"{name}: expecting degrees, but got {value!r}")
    if isinstance(value, str):
        text = value.strip().rstrip(DEGREE_SIGNS).strip()
        if not _NUMBER.fullmatch(text):
            raise InputError(f"{name}: {value!r} is not a number of degrees; write it like 32 or 32.5, "
                             "or - if not measured")
        number = float(text.replace(",", "."))
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name}: expecting degrees, but got {value!r}") from None
    if not math.isfinite(number):  # 1e400 or "NaN" through JSON
        raise InputError(f"{name}: expecting degrees, but got {value!r}")
    low, high = ANGLE_RANGE_DEG
    if not low <= number <= high:
        raise InputError(f"{name}: {number:g} deg is outside {low:g} to {high:g} deg; check the reading")
    return number


def check_instrument(value: Any) -> str:
    """The instrument's name (one of :data:`INSTRUMENTS`, any case); ``InputError`` naming the allowed ones."""
    instrument = str(value or "").strip().lower()
    if instrument not in INSTRUMENTS:
        raise InputError(f"instrument: {value!r} is unknown, expecting one of {{{', '.join(INSTRUMENTS)}}}")
    return instrument


def _plain_text(value: Any, name: str, limit: int) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > limit:
        raise InputError(f"{name}: at most {limit} characters, but got {len(text)}")
    if name == "rater" and any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise InputError(f"rater: {text!r} holds control characters")
    return text


@dataclass(frozen=True)
class ReferenceInput:
    """One reference reading as a user gives it, checked on construction.

    Attributes:
        instrument: one of :data:`INSTRUMENTS`.
        rater: who read the instrument (initials or a code), optional.
        left_ir_deg, left_er_deg, right_ir_deg, right_er_deg: degrees as the
            instrument showed them, positive in the direction named; at least one.
        notes: free text, optional.
    """

    instrument: str
    rater: str | None = None
    left_ir_deg: float | None = None
    left_er_deg: float | None = None
    right_ir_deg: float | None = None
    right_er_deg: float | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "instrument", check_instrument(self.instrument))
        object.__setattr__(self, "rater", _plain_text(self.rater, "rater", RATER_MAX))
        object.__setattr__(self, "notes", _plain_text(self.notes, "notes", NOTES_MAX))
        for column in COLUMNS.values():
            object.__setattr__(self, column, parse_angle(getattr(self, column), column))
        if all(getattr(self, column) is None for column in COLUMNS.values()):
            raise InputError("a reference reading needs at least one angle "
                             "(left/right internal/external rotation in degrees)")

    def angles(self) -> dict[str, float | None]:
        """Measure (``left_internal`` ...) -> degrees or ``None``."""
        return {m: getattr(self, c) for m, c in COLUMNS.items()}


@dataclass(frozen=True)
class ReferenceRecord:
    """A stored reference reading, with its session's subject and date.

    Angles in degrees (``None`` = not measured); ``recorded_utc`` is when the
    session took place, ``created_utc`` when the reading was stored.
    """

    id: int
    session_id: int
    subject: str | None
    recorded_utc: str
    instrument: str
    rater: str | None
    left_ir_deg: float | None
    left_er_deg: float | None
    right_ir_deg: float | None
    right_er_deg: float | None
    notes: str | None
    created_utc: str

    def angles(self) -> dict[str, float | None]:
        """Measure (``left_internal`` ...) -> degrees or ``None``."""
        return {m: getattr(self, c) for m, c in COLUMNS.items()}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the fields."""
        return dataclasses.asdict(self)


class ReferenceStore:
    """The store's methods for reference readings (mixed into :class:`hiprom.store.Store`)."""

    if TYPE_CHECKING:
        where: str

        def _tx(self, write: bool = False) -> AbstractContextManager[Session]: ...
        def _find_session(self, s: Session, session_id: int | str) -> SessionRow: ...
        def _find_subject(self, s: Session, ref: str | int) -> SubjectRow: ...

    def add_reference(self, session_id: int | str, reading: ReferenceInput) -> ReferenceRecord:
        """Store one reading beside session ``session_id`` (``RecordNotFound`` if unknown)."""
        return self.add_references([(session_id, reading)])[0]

    def add_references(self, readings: Sequence[tuple[int | str, ReferenceInput]]) -> list[ReferenceRecord]:
        """Store readings of several sessions in one transaction: all of them, or none.

        Raises:
            RecordNotFound: a session is unknown (then nothing is stored).
        """
        with self._tx(write=True) as s:
            rows = []
            for session_id, reading in readings:
                session = self._find_session(s, session_id)
                row = ReferenceRow(session_id=session.id, created_utc=utc_now(),
                                   **dataclasses.asdict(reading))
                s.add(row)
                rows.append(row)
            s.flush()
            ids = [row.id for row in rows]
        by_id = {r.id: r for r in self.references(ids=ids)}
        return [by_id[i] for i in ids]

    def references(
        self,
        session_id: int | str | None = None,
        *,
        ids: Sequence[int] | None = None,
        subject: str | int | None = None,
        since: date | None = None,
        until: date | None = None,
        instrument: str | None = None,
        rater: str | None = None,
    ) -> list[ReferenceRecord]:
        """Stored readings, oldest session first, filtered by any of the arguments.

        Args:
            session_id: only this session's readings (``RecordNotFound`` if unknown).
            ids: only these readings.
            subject: only sessions of this subject, by pseudonym or number (``RecordNotFound`` if unknown).
            since, until: only sessions assessed on or after / on or before these days (the clinic's
                days, :func:`~hiprom.store.records.local_day`).
            instrument, rater: only readings of this instrument / this rater (in any capitals or accents, as
                a subject is found: "AB" and "ab" typed on two days are one clinician).

        Raises:
            InputError: ``instrument`` is not one of :data:`INSTRUMENTS`.
        """
        query = (
            select(ReferenceRow, SessionRow.recorded_utc, SubjectRow.pseudonym)
            .join(SessionRow, SessionRow.id == ReferenceRow.session_id)
            .outerjoin(SubjectRow, SubjectRow.id == SessionRow.subject_id)
        )
        if ids is not None:
            query = query.where(ReferenceRow.id.in_(list(ids)))
        if since is not None:
            query = query.where(SessionRow.recorded_utc >= local_midnight_utc(since))
        if until is not None:
            query = query.where(SessionRow.recorded_utc < local_midnight_utc(until + timedelta(days=1)))
        if instrument is not None:
            query = query.where(ReferenceRow.instrument == check_instrument(instrument))
        with self._tx() as s:
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            if session_id is not None:
                query = query.where(ReferenceRow.session_id == self._find_session(s, session_id).id)
            rows = s.execute(query.order_by(SessionRow.recorded_utc, ReferenceRow.session_id, ReferenceRow.id)).all()
            who = folded(rater.strip()) if rater is not None else None
            return [_reference_record(row, when, pseudonym) for row, when, pseudonym in rows
                    if who is None or folded(row.rater or "") == who]

    def delete_reference(self, reference_id: int | str) -> None:
        """Delete one reading (``RecordNotFound`` if unknown)."""
        text = str(reference_id).strip()
        with self._tx(write=True) as s:
            number = ascii_int(text)
            row = s.get(ReferenceRow, number) if number is not None else None
            if row is None:
                raise RecordNotFound.of("reference reading", text, self.where)
            s.execute(delete(ReferenceRow).where(ReferenceRow.id == row.id))


def _reference_record(row: ReferenceRow, recorded: datetime, pseudonym: str | None) -> ReferenceRecord:
    return ReferenceRecord(
        id=row.id, session_id=row.session_id, subject=pseudonym, recorded_utc=iso_utc(recorded) or "",
        instrument=row.instrument, rater=row.rater,
        left_ir_deg=row.left_ir_deg, left_er_deg=row.left_er_deg,
        right_ir_deg=row.right_ir_deg, right_er_deg=row.right_er_deg,
        notes=row.notes, created_utc=iso_utc(row.created_utc) or "",
    )
