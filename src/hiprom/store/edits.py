"""Corrections of the records: a subject renamed, a session moved to another subject.

A pseudonym typed wrong, or a visit saved under the wrong person, is put
right in place: the subject keeps its number, birth date and notes, the
session its number, date, readings, home program and counted exercises
(everything hangs on those numbers, so nothing else is touched).
:class:`EditStore` is mixed into :class:`~hiprom.store.Store`; each method is
one transaction, like the store's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hiprom.errors import InputError
from hiprom.parsing import record_id
from hiprom.store.records import RecordNotFound, SessionRecord, SubjectRecord, check_pseudonym

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session

    from hiprom.store.schema import SessionRow, SubjectRow


class EditStore:
    """Renaming subjects and moving sessions (methods of :class:`~hiprom.store.Store`)."""

    if TYPE_CHECKING:
        where: str

        def _tx(self, write: bool = False) -> AbstractContextManager[Session]: ...
        def _held_subject(self, s: Session, ref: str | int) -> SubjectRow | None: ...
        def _find_session(self, s: Session, session_id: int | str, lock: bool = False) -> SessionRow: ...
        def _check_free(self, s: Session, code: str, but: int | None = None, join: bool = False) -> None: ...
        def subject(self, ref: str | int) -> SubjectRecord: ...
        def session(self, session_id: int | str, with_analysis: bool = True) -> SessionRecord: ...

    def rename_subject(self, ref: str | int, pseudonym: str) -> SubjectRecord:
        """Give the subject ``ref`` (pseudonym or number) the pseudonym ``pseudonym``; its number,
        details and sessions stay.

        Changing only the capitals or accents of its own pseudonym (``p-0042`` to ``P-0042``) is
        allowed; a pseudonym another subject has, in any capitals or accents, is not.

        Raises:
            InputError: ``pseudonym`` is not a valid pseudonym, or is the subject's already.
            RecordNotFound: no subject ``ref``.
            RecordExists: another subject has ``pseudonym``.
        """
        code = check_pseudonym(pseudonym)
        with self._tx(write=True) as s:
            row = self._held_subject(s, ref)
            if row is None:
                raise RecordNotFound.of("subject", ref, self.where)
            if row.pseudonym == code:
                raise InputError(f"subject {code!r} has that pseudonym already; nothing changed")
            self._check_free(s, code, but=row.id, join=True)
            row.pseudonym = code
            number = row.id
        return self.subject(number)

    def move_session(self, session_id: int | str, subject: str | int) -> SessionRecord:
        """Make session ``session_id`` one of ``subject``'s (pseudonym or number, which must exist).

        The session keeps its number, date, trials, landmarks, reference readings, home program and
        counted exercises. The subject it leaves stays, even with no session left.

        Raises:
            InputError: the session is ``subject``'s already.
            RecordNotFound: no such session, or no such subject (a subject is never added here:
                a mistyped pseudonym would start a new person).
        """
        with self._tx(write=True) as s:
            row = self._find_session(s, session_id, lock=True)
            target = self._held_subject(s, subject)
            if target is None:
                if record_id(subject) is not None:
                    raise RecordNotFound.of("subject", subject, self.where)
                raise RecordNotFound.of("subject", str(subject).strip(), self.where, add_subject=True)
            if row.subject_id == target.id:
                raise InputError(f"session {row.id} is {target.pseudonym}'s already; nothing changed")
            row.subject_id = target.id
            number = row.id
        return self.session(number, with_analysis=False)
