"""Subjects: adding, finding, listing and deleting the people whose sessions the store keeps.

A subject is referred to by pseudonym or by number (``12``, ``"12"``,
``"#12"``: :func:`hiprom.parsing.record_id`, the number form that pseudonyms
may not take). A pseudonym names one person whatever its capitals and accents
(:func:`folded`), on SQLite and PostgreSQL alike. :class:`SubjectStore` is
mixed into :class:`~hiprom.store.Store`; each method is one transaction, like
the store's own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import delete, func, select

from hiprom.parsing import check_text, folded, record_id
from hiprom.store.records import (
    RecordExists,
    RecordNotFound,
    SubjectRecord,
    check_pseudonym,
    iso_utc,
    optional_text,
    parse_date_of_birth,
    utc_now,
)
from hiprom.store.schema import SessionRow, SubjectRow

SubjectOrder = Literal["pseudonym", "last"]
"""How subjects are listed: by pseudonym, or by their last session (the longest unseen first)."""

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session


class SubjectStore:
    """Subjects (methods of :class:`~hiprom.store.Store`)."""

    if TYPE_CHECKING:
        where: str

        def _tx(self, write: bool = False) -> AbstractContextManager[Session]: ...
        def _forget_deleted(self) -> None: ...

    def add_subject(
        self,
        pseudonym: str | None = None,
        *,
        name: str | None = None,
        date_of_birth: date | str | None = None,
        notes: str | None = None,
    ) -> SubjectRecord:
        """Add a subject; a pseudonym like ``S-3F9A1C`` is made when none is given.

        Raises:
            InputError: the pseudonym or birth date is malformed.
            RecordExists: a subject has this pseudonym (in any capitals or accents).
        """
        code = check_pseudonym(pseudonym) if pseudonym is not None else f"S-{secrets.token_hex(3).upper()}"
        dob = parse_date_of_birth(date_of_birth)
        with self._tx(write=True) as s:
            self._check_free(s, code)
            row = SubjectRow(pseudonym=code, name=optional_text(name, "name"), date_of_birth=dob,
                             notes=optional_text(notes, "notes"), created_utc=utc_now())
            s.add(row)
            s.flush()
            return _subject_record(row, 0)

    def subjects(self, find: str | None = None, limit: int | None = None, offset: int = 0) -> list[SubjectRecord]:
        """Subjects by pseudonym, with their number of sessions: every one, or those whose
        pseudonym or name contains ``find`` ignoring case and accents (:func:`folded`), at most
        ``limit`` after the first ``offset``."""
        return self.subjects_counted(find, limit, offset)[0]

    def subjects_counted(self, find: str | None = None, limit: int | None = None, offset: int = 0,
                         by: SubjectOrder = "pseudonym") -> tuple[list[SubjectRecord], int]:
        """:meth:`subjects`, and how many it would list without ``limit`` and ``offset``: a search reads the
        subjects once, counting those found past the limit as it goes. ``by="last"`` lists them by their last
        session instead, the longest unseen first and those with none at the end: whom a clinic should call back."""
        counts = (
            select(SessionRow.subject_id, func.count(SessionRow.id).label("n"),
                   func.max(SessionRow.recorded_utc).label("last"))
            .group_by(SessionRow.subject_id)
            .subquery()
        )
        with self._tx() as s:
            order = (counts.c.last.is_(None), counts.c.last) if by == "last" else ()
            query = (select(SubjectRow, func.coalesce(counts.c.n, 0), counts.c.last)
                     .outerjoin(counts, counts.c.subject_id == SubjectRow.id)
                     .order_by(*order, SubjectRow.pseudonym))
            if not find:
                rows = [_subject_record(row, n, seen)
                        for row, n, seen in s.execute(query.limit(limit).offset(offset or None))]
                last = len(rows) < limit if limit is not None else True  # a short page that is not past the end
                if last and (rows or not offset):
                    return rows, offset + len(rows)
                return rows, s.scalar(select(func.count(SubjectRow.id))) or 0
            found: list[SubjectRecord] = []
            total = 0
            for row, n, seen in _found(s.execute(query), find, lambda r: r[0]):
                total += 1
                if total > offset and (limit is None or len(found) < limit):
                    found.append(_subject_record(row, n, seen))
            return found, total

    def subject(self, ref: str | int) -> SubjectRecord:
        """The subject with pseudonym (or number) ``ref``; ``RecordNotFound`` if none."""
        with self._tx() as s:
            row = self._find_subject(s, ref)
            n, last = s.execute(select(func.count(SessionRow.id), func.max(SessionRow.recorded_utc))
                                .where(SessionRow.subject_id == row.id)).one()
            return _subject_record(row, n or 0, last)

    def delete_subject(self, ref: str | int) -> int:
        """Delete a subject and all its sessions (with their trials, series, landmark recordings, readings,
        programs and counted exercises), leaving no copy in the store's files; returns how many sessions went.
        """
        with self._tx(write=True) as s:
            row = self._find_subject(s, ref)
            n = s.scalar(select(func.count(SessionRow.id)).where(SessionRow.subject_id == row.id)) or 0
            s.execute(delete(SubjectRow).where(SubjectRow.id == row.id))
        self._forget_deleted()
        return n

    def _check_free(self, s: Session, code: str, but: int | None = None, join: bool = False) -> None:
        """Refuse ``code`` as a new pseudonym while a subject (other than number ``but``) has it, also
        in other capitals or accents (:func:`_alike`): the one rule of ``subjects add`` and ``rename``.

        Raises:
            RecordExists: "subject 'P-0042' already exists ...; choose another pseudonym" (and, with
                ``join``, how to move the sessions of one to the other).
        """
        claim_pseudonyms(s)
        holder = _alike(s, code)
        if holder is not None and holder.id != but:
            raise RecordExists.pseudonym(holder.pseudonym, alike=holder.pseudonym != code, join=join)

    def _held_subject(self, s: Session, ref: str | int) -> SubjectRow | None:
        """The subject ``ref`` (as :meth:`_find_subject`), kept from deletion until this transaction
        ends, or ``None`` if there is none.

        On PostgreSQL the row is locked ``FOR KEY SHARE``: a save or a move that meets an erasure in
        progress waits for it, and then finds no subject rather than failing on the deleted row (the
        session would otherwise be lost with a foreign-key error). A rename does not wait for it.
        """
        try:
            row = self._find_subject(s, ref)
        except RecordNotFound:
            return None
        held = select(SubjectRow.id).where(SubjectRow.id == row.id).with_for_update(read=True, key_share=True)
        if s.scalar(held) is None:  # erased while this transaction waited
            s.expunge(row)
            return None
        return row

    def _find_subject(self, s: Session, ref: str | int) -> SubjectRow:
        """The one resolver of a subject reference: a number form is always a number.

        A subject an older hiprom stored under a pseudonym such as ``18`` or
        ``#5`` (no longer accepted) is reached by its own number. A pseudonym
        typed in other capitals or without its accents (``p-0042`` for
        ``P-0042``) names the stored subject (:func:`_alike`): it is the same
        person, and a new subject would split their visits in two.
        """
        number = record_id(ref)
        if number is not None:
            row = s.get(SubjectRow, number)
        else:
            text = check_text(str(ref).strip(), "subject")
            row = _alike(s, text)
        if row is None:
            raise RecordNotFound.of("subject", ref, self.where)
        return row


PSEUDONYM_LOCK = 0x68_69_70_72  # "hipr"
"""The PostgreSQL advisory lock that a transaction giving a pseudonym holds (:func:`claim_pseudonyms`)."""


def claim_pseudonyms(s: Session) -> None:
    """Let this transaction alone give pseudonyms until it ends, so its check that one is free holds.

    Pseudonyms in other capitals or accents name one person (the unique ``subjects.pseudonym_key``):
    checked by two transactions at once, both would find ``P-0042`` free, and the second to commit
    would fail on the index with a database error rather than the refusal that says what to do.
    PostgreSQL transactions therefore queue on one advisory lock (``pg_advisory_xact_lock``),
    released at commit or rollback; SQLite's write transactions are one at a time already
    (``BEGIN IMMEDIATE``).
    """
    if s.get_bind().dialect.name == "postgresql":
        s.execute(select(func.pg_advisory_xact_lock(PSEUDONYM_LOCK)))


def _alike(s: Session, pseudonym: str) -> SubjectRow | None:
    """The subject whose pseudonym equals ``pseudonym`` :func:`folded` (capitals and accents aside), if any:
    one look-up in the unique index of ``subjects.pseudonym_key``."""
    return s.scalar(select(SubjectRow).where(SubjectRow.pseudonym_key == folded(pseudonym)))


def _found(rows: Iterable[Any], find: str, subject: Callable[[Any], Any]) -> Iterator[Any]:
    """The ``rows`` whose subject (``subject(row)``, with ``pseudonym`` and ``name``) has ``find``
    in its pseudonym or name, compared :func:`folded`.

    The comparison runs here rather than in SQL so that SQLite and PostgreSQL find the same
    subjects: SQLite folds the case of ASCII letters only, and PostgreSQL's folding depends on
    the server's locale and neither drops accents without an extension.
    """
    key = folded(find)
    for row in rows:
        who = subject(row)
        if key in folded(who.pseudonym) or (who.name is not None and key in folded(who.name)):
            yield row


def _subject_record(row: SubjectRow, n_sessions: int, last_session: datetime | None = None) -> SubjectRecord:
    return SubjectRecord(
        id=row.id,
        pseudonym=row.pseudonym,
        name=row.name,
        date_of_birth=row.date_of_birth.isoformat() if row.date_of_birth else None,
        notes=row.notes,
        created_utc=iso_utc(row.created_utc) or "",
        n_sessions=int(n_sessions),
        last_session_utc=iso_utc(last_session),
    )
