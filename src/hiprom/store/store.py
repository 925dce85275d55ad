"""The store: subjects, sessions, trials and per-frame series in one database.

``Store(db)`` opens (and if needed creates or migrates) the database named as
in :mod:`hiprom.store.location`. Every method is one transaction: a session
is saved with its trials, series and landmarks in a single commit, so a
crash, a kill or a full disk leaves it whole or absent; :meth:`Store.transaction`
makes several calls one transaction. A ``Store`` may be
shared by threads (each call takes its own connection from the pool).

This module opens the database and runs the transactions; the methods on the
records are its mixins, one module each: :mod:`~hiprom.store.subjects`,
:mod:`~hiprom.store.sessions`, :mod:`~hiprom.store.references`,
:mod:`~hiprom.store.programs` and :mod:`~hiprom.store.edits`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hiprom.errors import HipromError, StoreError
from hiprom.store.edits import EditStore
from hiprom.store.engine import forget_deleted, make_engine
from hiprom.store.location import display_url, require_named_store, resolve_url
from hiprom.store.migrations import migrate
from hiprom.store.programs import ProgramStore
from hiprom.store.records import SessionRecord
from hiprom.store.references import ReferenceStore
from hiprom.store.schema import LandmarksRow, ReferenceRow, SeriesRow, SessionRow, SubjectRow, TrialRow
from hiprom.store.sessions import SessionStore
from hiprom.store.subjects import SubjectStore


class Store(SubjectStore, SessionStore, ReferenceStore, ProgramStore, EditStore):
    """A hiprom database of subjects, sessions and their reference readings, programs and exercises.

    Args:
        db: an SQLAlchemy URL or an SQLite file path; ``None`` for
            ``HIPROM_DB_URL`` or the default file in the data folder.
        create: create a missing SQLite file. With ``False`` (the command
            line), a file named by ``db`` or ``HIPROM_DB_URL`` must exist, so
            a mistyped name is refused rather than starting an empty store;
            the default location is still created on first use.

    Raises:
        StoreError: the database cannot be opened, is newer than this hiprom,
            or its driver is missing; or (``create=False``) the named file does not exist.
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, create: bool = True) -> None:
        if not create:
            require_named_store(db)
        self.url = resolve_url(db)
        self.where = display_url(self.url)
        self.engine = make_engine(self.url)
        reads = self.engine
        if self.engine.dialect.name == "postgresql":  # a read sees one moment (SQLite's reads always do)
            reads = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._read = sessionmaker(bind=reads, expire_on_commit=False)
        self._write = sessionmaker(bind=self.engine.execution_options(hiprom_write=True), expire_on_commit=False)
        self._shared = threading.local()  # the open transaction() of each thread
        try:
            self.migrated_from = migrate(self.engine, self.where)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self._error("cannot open the store", exc) from None
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.where!r})"

    def counts(self) -> dict[str, int]:
        """Rows per table (for checks and ``hiprom sessions list`` footers)."""
        with self._tx() as s:
            return {
                table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
                for table in (SubjectRow, SessionRow, TrialRow, SeriesRow, LandmarksRow, ReferenceRow)
            }

    # -- transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction that the store's methods called inside it (in this thread) share.

        ``with store.transaction(): store.save_analysis(...); store.add_references(...)`` keeps all
        their changes or, on any error (the exception goes on), none of them.
        """
        shared = getattr(self._shared, "session", None)
        if shared is not None:  # already inside one: the outer one decides
            yield shared
            return
        with self._tx(write=True) as s:
            self._shared.session = s
            try:
                yield s
            finally:
                self._shared.session = None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction that the store's reading methods called inside it (in this thread) share:
        they all see the store as it was at the first read, whatever others commit meanwhile.

        An export or a report of a person read this way holds all of them or (erased before it
        began) none: never some sessions, nor a session moved to someone else meanwhile. Only reads
        may be made inside it. Inside :meth:`transaction` it is that transaction.
        """
        if getattr(self._shared, "session", None) is not None:
            yield
            return
        with self._tx() as s:
            self._shared.session, self._shared.reading = s, True
            try:
                yield
            finally:
                self._shared.session, self._shared.reading = None, False

    @contextlib.contextmanager
    def _tx(self, write: bool = False) -> Iterator[Session]:
        """One transaction (or the open :meth:`transaction` or :meth:`snapshot`); database errors become
        one-line ``StoreError``s."""
        shared = getattr(self._shared, "session", None)
        if shared is not None:
            if write and getattr(self._shared, "reading", False):
                raise RuntimeError("a change to the store inside Store.snapshot(), which is for reads only")
            yield shared
            return
        try:
            with (self._write if write else self._read)() as session, session.begin():
                yield session
        except HipromError:
            raise
        except IntegrityError as exc:
            raise self._error("the change conflicts with what is stored", exc) from None
        except SQLAlchemyError as exc:
            raise self._error("cannot read or write the store", exc) from None

    def _forget_deleted(self) -> None:
        """After a delete has committed, no copy of the deleted rows in the store's files (``forget_deleted``);
        inside :meth:`transaction` the delete is not committed yet, and its end is left to the caller."""
        if getattr(self._shared, "session", None) is None:
            forget_deleted(self.engine)

    def _error(self, what: str, exc: SQLAlchemyError) -> StoreError:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        hint = ""
        if "full" in detail.lower():
            hint = "; free some disk space and try again"
        elif "locked" in detail.lower():
            hint = "; another program holds the store, try again"
        return StoreError(f"{self.where}: {what} ({detail}){hint}")


def save_analysis(
    store: Store,
    analysis: Mapping[str, Any],
    *,
    subject: str | int | None = None,
    operator: str | None = None,
    notes: str | None = None,
    **options: Any,
) -> SessionRecord:
    """Store ``analysis`` as a new session (the hook for ``hiprom analyze --save``).

    The same as :meth:`Store.save_analysis`; see there for ``options``.
    """
    return store.save_analysis(analysis, subject=subject, operator=operator, notes=notes, **options)
