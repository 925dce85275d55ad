"""The store: subjects, sessions, trials and per-frame series in one database.

``Store(db)`` opens (and if needed creates or migrates) the database named as
in :mod:`hiprom.store.location`. Every method is one transaction: a session
is saved with its trials, series and landmarks in a single commit, so a
crash, a kill or a full disk leaves it whole or absent. A ``Store`` may be
shared by threads (each call takes its own connection from the pool).

Subjects are referred to by pseudonym or by number (``12``, ``"12"``,
``"#12"``: :func:`hiprom.parsing.record_id`, the number form that pseudonyms
may not take); sessions by number.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import json
import os
import secrets
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from hiprom.assessment.summary import overall_verdict
from hiprom.errors import HipromError, InputError, StoreError
from hiprom.landmarks import SIDES
from hiprom.parsing import check_json_tree, check_text, record_id
from hiprom.store.edits import EditStore
from hiprom.store.engine import make_engine
from hiprom.store.location import display_url, require_named_store, resolve_url
from hiprom.store.migrations import migrate
from hiprom.store.programs import ProgramStore
from hiprom.store.references import ReferenceStore
from hiprom.store.records import (
    SESSION_DERIVED,
    RecordNotFound,
    SessionBase,
    SessionFigures,
    SessionRecord,
    SubjectRecord,
    check_analysis,
    check_pseudonym,
    dumps,
    iso_utc,
    parse_date_of_birth,
    parse_utc,
    utc_now,
)
from hiprom.store.schema import (
    ExerciseResultRow,
    LandmarksRow,
    ReferenceRow,
    SeriesRow,
    SessionRow,
    SubjectRow,
    TrialRow,
)

SERIES_ENCODING = "json+gzip"
LANDMARKS_FORMAT = "hiprom.landmarks/1"

# ORM column -> (side, field of analysis["sides"][side]) for the summary figures.
_SUMMARY_COLUMNS = {
    f"{side}_{short}_deg": (side, name)
    for side in SIDES
    for short, name in (("ir", "internal_rotation_deg"), ("er", "external_rotation_deg"), ("arc", "total_arc_deg"))
}


class Store(ReferenceStore, ProgramStore, EditStore):
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
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=self.engine.execution_options(hiprom_write=True), expire_on_commit=False)
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

    # -- transactions ---------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self, write: bool = False) -> Iterator[Session]:
        """One transaction; database errors become one-line ``StoreError``s."""
        try:
            with (self._write if write else self._read)() as session, session.begin():
                yield session
        except HipromError:
            raise
        except IntegrityError as exc:
            raise self._error("the change conflicts with what is stored", exc) from None
        except SQLAlchemyError as exc:
            raise self._error("cannot read or write the store", exc) from None

    def _error(self, what: str, exc: SQLAlchemyError) -> StoreError:
        detail = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        hint = ""
        if "full" in detail.lower():
            hint = "; free some disk space and try again"
        elif "locked" in detail.lower():
            hint = "; another program holds the store, try again"
        return StoreError(f"{self.where}: {what} ({detail}){hint}")

    # -- subjects -------------------------------------------------------------

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
            StoreError: a subject with this pseudonym exists.
        """
        code = check_pseudonym(pseudonym) if pseudonym is not None else f"S-{secrets.token_hex(3).upper()}"
        dob = parse_date_of_birth(date_of_birth)
        with self._tx(write=True) as s:
            self._check_free(s, code)
            row = SubjectRow(pseudonym=code, name=_text(name, "name"), date_of_birth=dob,
                             notes=_text(notes, "notes"), created_utc=utc_now())
            s.add(row)
            s.flush()
            return _subject_record(row, 0)

    def subjects(self, find: str | None = None, limit: int | None = None) -> list[SubjectRecord]:
        """Subjects by pseudonym, with their number of sessions: every one, or those whose
        pseudonym or name contains ``find`` ignoring case and accents (:func:`folded`), at most
        ``limit``."""
        return self.subjects_counted(find, limit)[0]

    def subjects_counted(self, find: str | None = None,
                         limit: int | None = None) -> tuple[list[SubjectRecord], int]:
        """:meth:`subjects`, and how many it would list without ``limit``: a search reads the
        subjects once, counting those found past the limit as it goes."""
        counts = (
            select(SessionRow.subject_id, func.count(SessionRow.id).label("n"))
            .group_by(SessionRow.subject_id)
            .subquery()
        )
        with self._tx() as s:
            query = (select(SubjectRow, func.coalesce(counts.c.n, 0))
                     .outerjoin(counts, counts.c.subject_id == SubjectRow.id)
                     .order_by(SubjectRow.pseudonym))
            if not find:
                rows = [_subject_record(row, n) for row, n in s.execute(query.limit(limit))]
                more = limit is not None and len(rows) == limit
                return rows, (s.scalar(select(func.count(SubjectRow.id))) or 0) if more else len(rows)
            found: list[SubjectRecord] = []
            total = 0
            for row, n in _found(s.execute(query), find, lambda r: r[0]):
                total += 1
                if limit is None or len(found) < limit:
                    found.append(_subject_record(row, n))
            return found, total

    def subject(self, ref: str | int) -> SubjectRecord:
        """The subject with pseudonym (or number) ``ref``; ``RecordNotFound`` if none."""
        with self._tx() as s:
            row = self._find_subject(s, ref)
            n = s.scalar(select(func.count(SessionRow.id)).where(SessionRow.subject_id == row.id)) or 0
            return _subject_record(row, n)

    def delete_subject(self, ref: str | int) -> int:
        """Delete a subject and all its sessions; returns how many sessions went."""
        with self._tx(write=True) as s:
            row = self._find_subject(s, ref)
            n = s.scalar(select(func.count(SessionRow.id)).where(SessionRow.subject_id == row.id)) or 0
            s.execute(delete(SubjectRow).where(SubjectRow.id == row.id))
            return n

    def _check_free(self, s: Session, code: str, but: int | None = None, then: str = "") -> None:
        """Refuse ``code`` as a new pseudonym while a subject (other than number ``but``) has it, also
        in other capitals or accents (:func:`_alike`): the one rule of ``subjects add`` and ``rename``.

        Raises:
            StoreError: "subject 'P-0042' already exists ...; choose another pseudonym" and ``then``.
        """
        exact = s.scalar(select(SubjectRow.id).where(SubjectRow.pseudonym == code))
        taken = [code] if exact is not None and exact != but else []
        taken = taken or [row.pseudonym for row in _alike(s, code) if row.id != but]
        if taken:
            also = "" if taken == [code] else (" (pseudonyms that differ only in capitals or accents "
                                               "name one person)")
            raise StoreError(f"subject {taken[0]!r} already exists{also}; choose another pseudonym{then}")

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
            row = s.scalar(select(SubjectRow).where(SubjectRow.pseudonym == text))
            if row is None:
                alike = _alike(s, text)
                if len(alike) > 1:
                    raise InputError(f"subject {text!r}: {', '.join(repr(r.pseudonym) for r in alike)} differ from it "
                                     "only in capitals or accents; give one exactly as stored, or its number")
                row = alike[0] if alike else None
        if row is None:
            raise RecordNotFound(f"no subject {str(ref)!r} in {self.where}; see 'hiprom subjects list'")
        return row

    # -- sessions -------------------------------------------------------------

    def save_analysis(
        self,
        analysis: Mapping[str, Any],
        *,
        subject: str | int | None = None,
        operator: str | None = None,
        notes: str | None = None,
        camera: str | None = None,
        settings: Mapping[str, Any] | None = None,
        recorded_utc: datetime | str | None = None,
        landmarks: Any = None,
        create_subject: bool = True,
    ) -> SessionRecord:
        """Store an analysis (``hiprom.analysis/1``) as a new session, in one transaction.

        Args:
            analysis: the result of ``hiprom.assessment.assess``.
            subject: pseudonym or number of the subject; a pseudonym not yet
                stored is added when ``create_subject`` is true. ``None``
                stores the session without a subject.
            operator, notes, camera: free text shown in the report.
            settings: options the session was measured with (stored as JSON).
            recorded_utc: when the assessment took place (default: the
                analysis's ``created_utc``, else now).
            landmarks: optional ``LandmarkRecording`` (or its ``.npz`` bytes) to keep;
                a recording of another length than the analysis is refused.

        Raises:
            InputError: ``analysis`` is not an analysis result.
            RecordNotFound: ``subject`` is unknown and ``create_subject`` is false.
        """
        analysis = check_analysis(analysis)
        if settings is not None:
            check_json_tree(settings, "settings")
        if landmarks is not None and not isinstance(landmarks, (bytes, bytearray)):
            landmarks.check_made_from(analysis)
        series = analysis.pop("series", None) or {}
        landmark_blob = _landmark_bytes(landmarks)
        sides = analysis["sides"]
        asym = analysis["asymmetry"]
        frames = _int(analysis.get("frames"))
        series_blob = gzip.compress(dumps(series).encode("utf-8"), compresslevel=6, mtime=0)
        when = parse_utc(recorded_utc) or parse_utc(analysis.get("created_utc")) or utc_now()
        with self._tx(write=True) as s:
            subject_row = self._subject_for_save(s, subject, create_subject)
            row = SessionRow(
                subject_id=subject_row.id if subject_row is not None else None,
                recorded_utc=when,
                saved_utc=utc_now(),
                operator=_text(operator, "operator"),
                notes=_text(notes, "notes"),
                source=_text(analysis.get("source")),
                camera=_text(camera, "camera"),  # the camera's name; the analysis's `camera` is its estimated position
                model=_text(analysis.get("model")),
                fps=_float(analysis.get("fps")),
                frames=frames,
                duration_s=_float(analysis.get("duration_s")),
                mirrored=bool(analysis.get("mirrored", False)),
                hiprom_version=_text(analysis.get("hiprom_version")),
                analysis_schema=str(analysis["schema"]),
                settings_json=dumps(dict(settings or {})),
                norms_json=dumps(analysis.get("norms") or {}),
                norm_deg=_float(analysis.get("norm_deg")),
                measurable=bool(analysis.get("measurable", True)),
                not_measurable_reason=_text(analysis.get("not_measurable_reason")),
                asymmetry_arc_deg=_float(asym.get("total_arc_deg")),
                asymmetry_flagged=bool(asym.get("flagged", False)),
                asymmetry_verdict=overall_verdict(asym.get("verdicts") or {}),
                analysis_json=dumps(analysis),
                **{col: _float(sides[side].get(name)) for col, (side, name) in _SUMMARY_COLUMNS.items()},
            )
            s.add(row)
            s.flush()
            s.add_all(_trial_rows(row.id, analysis["trials"]))
            s.add(SeriesRow(session_id=row.id, encoding=SERIES_ENCODING,
                            n_frames=len(series.get("t_s") or []), data=series_blob))
            if landmark_blob is not None:
                s.add(LandmarksRow(session_id=row.id, format=LANDMARKS_FORMAT, n_frames=frames or 0,
                                   data=landmark_blob))
            s.flush()
            return self._session_record(s, row, with_analysis=False)

    def _subject_for_save(self, s: Session, ref: str | int | None, create: bool) -> SubjectRow | None:
        if ref is None or (isinstance(ref, str) and not ref.strip()):
            return None
        try:
            return self._find_subject(s, ref)
        except RecordNotFound:
            if not create or record_id(ref) is not None:  # an unknown number is never made a pseudonym
                raise
        code = check_pseudonym(ref)
        try:
            with s.begin_nested():  # a concurrent writer may add the same pseudonym (PostgreSQL)
                row = SubjectRow(pseudonym=code, created_utc=utc_now())
                s.add(row)
            return row
        except IntegrityError:
            return self._find_subject(s, code)

    def sessions(self, subject: str | int | None = None, limit: int | None = None,
                 offset: int = 0) -> list[SessionRecord]:
        """Sessions, newest first, of one subject or of all; without the analysis.

        ``limit`` and ``offset`` give one page of them (the newest ``offset`` left out).
        """
        with self._tx() as s:
            query = _listing()
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            query = query.order_by(SessionRow.recorded_utc.desc(), SessionRow.id.desc()).limit(limit)
            return [_record(*row) for row in s.execute(query.offset(offset or None))]

    def n_sessions(self, subject: str | int | None = None) -> int:
        """How many sessions there are, of one subject or of all (what a page of :meth:`sessions` is of)."""
        with self._tx() as s:
            query = select(func.count(SessionRow.id))
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            return s.scalar(query) or 0

    def figures(self, subject: str | int | None = None) -> list[SessionFigures]:
        """Sessions' rotation figures, oldest first, of one subject or of all: the light form of
        :meth:`sessions` for what reads every session (re-test pairs, the MDC in force, validation)."""
        columns = [getattr(SessionRow, f.name) for f in dataclasses.fields(SessionFigures)
                   if f.name not in ("subject", "recorded_utc", "exercised")]
        exercised = exists().where(ExerciseResultRow.session_id == SessionRow.id)
        with self._tx() as s:
            query = (select(*columns, SubjectRow.pseudonym, SessionRow.recorded_utc, exercised)
                     .outerjoin(SubjectRow, SubjectRow.id == SessionRow.subject_id))
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            query = query.order_by(SessionRow.recorded_utc, SessionRow.id)
            return [SessionFigures(sid, pseudonym, iso_utc(when) or "", *angles, exercised=bool(done))
                    for sid, *angles, pseudonym, when, done in s.execute(query)]

    def session(self, session_id: int | str, with_analysis: bool = True) -> SessionRecord:
        """One session; with ``with_analysis`` its full analysis, series included."""
        with self._tx() as s:
            return self._session_record(s, self._find_session(s, session_id), with_analysis=with_analysis)

    def analysis(self, session_id: int | str) -> dict[str, Any]:
        """The analysis of a session as it was saved (``hiprom.analysis/1``, series included)."""
        record = self.session(session_id)
        assert record.analysis is not None
        return record.analysis

    def landmarks(self, session_id: int | str) -> bytes | None:
        """The ``.landmarks.npz`` bytes kept with a session, or ``None``."""
        with self._tx() as s:
            row = self._find_session(s, session_id)
            blob = s.get(LandmarksRow, row.id)
            return None if blob is None else bytes(blob.data)

    def history(self, session_id: int | str) -> list[SessionRecord]:
        """The sessions of the same subject up to and including this one, oldest first."""
        with self._tx() as s:
            row = self._find_session(s, session_id)
            if row.subject_id is None:
                return [self._session_record(s, row, with_analysis=False)]
            query = (
                _listing()
                .where(SessionRow.subject_id == row.subject_id)
                .where(
                    (SessionRow.recorded_utc < row.recorded_utc)
                    | ((SessionRow.recorded_utc == row.recorded_utc) & (SessionRow.id <= row.id))
                )
                .order_by(SessionRow.recorded_utc, SessionRow.id)
            )
            return [_record(*r) for r in s.execute(query)]

    def delete_session(self, session_id: int | str) -> None:
        """Delete a session with its trials, series, landmarks and reference readings."""
        with self._tx(write=True) as s:
            row = self._find_session(s, session_id)
            s.execute(delete(SessionRow).where(SessionRow.id == row.id))

    def counts(self) -> dict[str, int]:
        """Rows per table (for checks and ``hiprom sessions list`` footers)."""
        with self._tx() as s:
            return {
                table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
                for table in (SubjectRow, SessionRow, TrialRow, SeriesRow, LandmarksRow, ReferenceRow)
            }

    def _find_session(self, s: Session, session_id: int | str) -> SessionRow:
        number = record_id(session_id)
        row = s.get(SessionRow, number) if number is not None else None
        if row is None:
            raise RecordNotFound(f"no session {str(session_id)!r} in {self.where}; see 'hiprom sessions list'")
        return row

    def _session_record(self, s: Session, row: SessionRow, with_analysis: bool) -> SessionRecord:
        n_trials = s.scalar(select(func.count(TrialRow.id)).where(TrialRow.session_id == row.id)) or 0
        has_landmarks = bool(s.scalar(select(exists().where(LandmarksRow.session_id == row.id))))
        pseudonym = s.scalar(select(SubjectRow.pseudonym).where(SubjectRow.id == row.subject_id))
        analysis = None
        if with_analysis:
            analysis = json.loads(row.analysis_json)
            series = s.get(SeriesRow, row.id)
            if series is not None:
                analysis["series"] = _decode_series(series)
        return _record(row, n_trials, has_landmarks, pseudonym, analysis)


def _listing() -> Select:
    """Sessions with their trial count, landmarks flag and subject pseudonym, in one query."""
    n_trials = select(func.count(TrialRow.id)).where(TrialRow.session_id == SessionRow.id).scalar_subquery()
    has_landmarks = exists().where(LandmarksRow.session_id == SessionRow.id)
    return (
        select(SessionRow, n_trials, has_landmarks, SubjectRow.pseudonym)
        .outerjoin(SubjectRow, SubjectRow.id == SessionRow.subject_id)
        .options(defer(SessionRow.analysis_json), defer(SessionRow.norms_json))
    )


_TIMES = ("recorded_utc", "saved_utc")
_COPIED = tuple(
    f.name for f in dataclasses.fields(SessionBase) if f.name not in SESSION_DERIVED and f.name not in _TIMES
)
"""``SessionBase`` fields copied from the row as they are."""


def _record(row: SessionRow, n_trials: int | None, has_landmarks: bool | None, pseudonym: str | None,
            analysis: dict[str, Any] | None = None) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        subject=pseudonym,
        **{name: iso_utc(getattr(row, name)) or "" for name in _TIMES},
        **{name: getattr(row, name) for name in _COPIED},
        n_trials=int(n_trials or 0),
        has_landmarks=bool(has_landmarks),
        settings=json.loads(row.settings_json or "{}"),
        analysis=analysis,
    )


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


def folded(text: str) -> str:
    """``text`` as subject search compares it: accents dropped and case folded.

    ``"Élise"``, ``"ELISE"`` and ``"e\u0301lise"`` all give ``"elise"``; ``"Straße"`` gives
    ``"strasse"``. Letters that are not a letter plus an accent (ø, ł, æ) stay themselves.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _alike(s: Session, pseudonym: str) -> list[SubjectRow]:
    """The subjects whose pseudonym equals ``pseudonym`` :func:`folded` (capitals and accents aside), by number.

    Compared here, not in SQL, for the reason :func:`_found` gives.
    """
    key = folded(pseudonym)
    ids = [sid for sid, code in s.execute(select(SubjectRow.id, SubjectRow.pseudonym)) if folded(code) == key]
    return [s.get(SubjectRow, sid) for sid in sorted(ids)]


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


def _subject_record(row: SubjectRow, n_sessions: int) -> SubjectRecord:
    return SubjectRecord(
        id=row.id,
        pseudonym=row.pseudonym,
        name=row.name,
        date_of_birth=row.date_of_birth.isoformat() if row.date_of_birth else None,
        notes=row.notes,
        created_utc=iso_utc(row.created_utc) or "",
        n_sessions=int(n_sessions),
    )


def _trial_rows(session_id: int, trials: list[dict[str, Any]]) -> list[TrialRow]:
    return [
        TrialRow(
            session_id=session_id,
            position=i,
            side=str(t.get("side", "")),
            direction=str(t.get("direction", "")),
            peak_deg=_float(t.get("peak_deg")),
            peak_unc_deg=_float(t.get("peak_unc_deg")),
            peak_t_s=_float(t.get("peak_t_s")),
            start_s=_float(t.get("start_s")),
            end_s=_float(t.get("end_s")),
            hold_s=_float(t.get("hold_s")),
            valid=bool(t.get("valid", False)),
            flags_json=dumps(list(t.get("flags") or [])),
            method=_text(t.get("method")),
        )
        for i, t in enumerate(trials)
    ]


def _decode_series(row: SeriesRow) -> dict[str, Any]:
    if row.encoding != SERIES_ENCODING:
        raise StoreError(f"session {row.session_id}: series stored as {row.encoding!r}, "
                         f"expecting {SERIES_ENCODING!r}; upgrade hiprom")
    return json.loads(gzip.decompress(row.data).decode("utf-8"))


def _landmark_bytes(landmarks: Any) -> bytes | None:
    """``.npz`` bytes of a ``LandmarkRecording`` (or the bytes as given)."""
    if landmarks is None or isinstance(landmarks, (bytes, bytearray)):
        return None if landmarks is None else bytes(landmarks)
    with tempfile.TemporaryDirectory(prefix="hiprom-") as tmp:
        path = Path(tmp) / "session.landmarks.npz"
        landmarks.save(path)
        return path.read_bytes()


def _text(value: Any, what: str = "text") -> str | None:
    """Stripped text or ``None``; ``InputError`` naming ``what`` when it is not valid Unicode."""
    if value is None:
        return None
    text = check_text(str(value).strip(), what)
    return text or None


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return None if number is None else int(number)
