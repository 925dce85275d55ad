"""Sessions: saving an analysis with its trials, series and landmarks, and reading sessions back.

A session is referred to by number. Saving is one transaction (a new subject
named by pseudonym included), so a crash, a kill or a full disk leaves the
session whole or absent. :class:`SessionStore` is mixed into
:class:`~hiprom.store.Store`; the layout of the rows is
:mod:`hiprom.store.session_rows`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.orm import aliased

from hiprom.assessment.summary import overall_verdict
from hiprom.parsing import check_json_tree, record_id
from hiprom.rounding import number
from hiprom.store.records import (
    RecordNotFound,
    SessionFigures,
    SessionRecord,
    check_analysis,
    check_pseudonym,
    dumps,
    iso_utc,
    optional_text,
    parse_utc,
    utc_now,
)
from hiprom.store.schema import ExerciseResultRow, LandmarksRow, SeriesRow, SessionRow, SubjectRow, TrialRow
from hiprom.store.session_rows import (
    LANDMARKS_FORMAT,
    SERIES_ENCODING,
    SUMMARY_COLUMNS,
    decode_series,
    encode_series,
    landmark_bytes,
    listing,
    session_record,
    trial_rows,
    whole,
)
from hiprom.store.subjects import claim_pseudonyms

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from sqlalchemy.orm import Session


class SessionStore:
    """Sessions (methods of :class:`~hiprom.store.Store`)."""

    if TYPE_CHECKING:
        where: str

        def _tx(self, write: bool = False) -> AbstractContextManager[Session]: ...
        def _forget_deleted(self) -> None: ...
        def _find_subject(self, s: Session, ref: str | int) -> SubjectRow: ...
        def _held_subject(self, s: Session, ref: str | int) -> SubjectRow | None: ...

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
        landmark_blob = landmark_bytes(landmarks)
        sides = analysis["sides"]
        asym = analysis["asymmetry"]
        frames = whole(analysis.get("frames"))
        series_blob = encode_series(series)
        when = parse_utc(recorded_utc) or parse_utc(analysis.get("created_utc")) or utc_now()
        with self._tx(write=True) as s:
            subject_row = self._subject_for_save(s, subject, create_subject)
            row = SessionRow(
                subject_id=subject_row.id if subject_row is not None else None,
                recorded_utc=when,
                saved_utc=utc_now(),
                operator=optional_text(operator, "operator"),
                notes=optional_text(notes, "notes"),
                source=optional_text(analysis.get("source")),
                recording_sha256=analysis.get("recording_sha256"),
                camera=optional_text(camera, "camera"),  # the camera's name; the analysis's `camera` is its estimated position
                model=optional_text(analysis.get("model")),
                fps=number(analysis.get("fps")),
                frames=frames,
                duration_s=number(analysis.get("duration_s")),
                mirrored=bool(analysis.get("mirrored", False)),
                hiprom_version=optional_text(analysis.get("hiprom_version")),
                analysis_schema=str(analysis["schema"]),
                settings_json=dumps(dict(settings or {})),
                norms_json=dumps(analysis.get("norms") or {}),
                norm_deg=number(analysis.get("norm_deg")),
                measurable=bool(analysis.get("measurable", True)),
                not_measurable_reason=optional_text(analysis.get("not_measurable_reason")),
                asymmetry_arc_deg=number(asym.get("total_arc_deg")),
                asymmetry_flagged=bool(asym.get("flagged", False)),
                asymmetry_verdict=overall_verdict(asym.get("verdicts") or {}),
                analysis_json=dumps(analysis),
                **{col: number(sides[side].get(name)) for col, (side, name) in SUMMARY_COLUMNS.items()},
            )
            s.add(row)
            s.flush()
            s.add_all(trial_rows(row.id, analysis["trials"]))
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
        row = self._held_subject(s, ref)
        if row is not None:
            return row
        if not create or record_id(ref) is not None:  # an unknown number is never made a pseudonym
            raise RecordNotFound.of("subject", ref, self.where)
        code = check_pseudonym(ref)
        claim_pseudonyms(s)
        row = self._held_subject(s, code)  # added by another save while this one waited
        if row is None:
            row = SubjectRow(pseudonym=code, created_utc=utc_now())
            s.add(row)
            s.flush()  # its number, for the session
        return row

    def sessions(self, subject: str | int | None = None, limit: int | None = None,
                 offset: int = 0) -> list[SessionRecord]:
        """Sessions, newest first, of one subject or of all; without the analysis.

        ``limit`` and ``offset`` give one page of them (the newest ``offset`` left out).
        """
        with self._tx() as s:
            query = listing()
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            query = query.order_by(SessionRow.recorded_utc.desc(), SessionRow.id.desc()).limit(limit)
            return [session_record(*row) for row in s.execute(query.offset(offset or None))]

    def n_sessions(self, subject: str | int | None = None) -> int:
        """How many sessions there are, of one subject or of all (what a page of :meth:`sessions` is of)."""
        with self._tx() as s:
            query = select(func.count(SessionRow.id))
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            return s.scalar(query) or 0

    def figures(self, subject: str | int | None = None) -> list[SessionFigures]:
        """Sessions' rotation figures, oldest first, of one subject or of all: the light form of
        :meth:`sessions` for what reads every session (re-test pairs, validation)."""
        with self._tx() as s:
            where = [] if subject is None else [SessionRow.subject_id == self._find_subject(s, subject).id]
            return _figures(s, *where)

    def retest_figures(self) -> list[SessionFigures]:
        """The figures (as :meth:`figures`) of the sessions a same-day re-test can be made of, oldest first:
        those with another session of their subject less than two days before or after, and those of
        the same recording as one of them (which decide whether it counts:
        :func:`~hiprom.assessment.retest.first_analysed_as`).

        The re-test pairs found in these are those found in every session (a day on any clock is
        at most 25 hours long), read through the index of each subject's sessions by time: the
        clinic's MDC reads the re-tests, not the whole clinic's figures.
        """
        other, same = aliased(SessionRow), aliased(SessionRow)
        with self._tx() as s:
            near = _within_two_days(s.get_bind().dialect.name, other.recorded_utc, SessionRow.recorded_utc)
            # Only columns of ix_sessions_subject_recorded: SQLite reads that index, not the sessions' rows.
            paired = (select(SessionRow.id)
                      .where(exists().where(other.subject_id == SessionRow.subject_id, other.id != SessionRow.id,
                                            near))
                      .cte("paired"))
            recordings = select(same.recording_sha256).where(same.id.in_(select(paired.c.id)),
                                                             same.recording_sha256.is_not(None))
            # Each side of the OR a search of its own index (ix_sessions_recording_sha256, schema version 9).
            return _figures(s, or_(SessionRow.id.in_(select(paired.c.id)),
                                   SessionRow.recording_sha256.in_(recordings)))

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

    def history(self, session_id: int | str, every: bool = False) -> list[SessionRecord]:
        """The sessions of the same subject up to and including this one, oldest first; ``every``: every session of
        the store up to it (one patient's at home, whose tests saved without a pseudonym are theirs too)."""
        with self._tx() as s:
            row = self._find_session(s, session_id)
            if row.subject_id is None and not every:
                return [self._session_record(s, row, with_analysis=False)]
            query = listing() if every else listing().where(SessionRow.subject_id == row.subject_id)
            query = (
                query
                .where(
                    (SessionRow.recorded_utc < row.recorded_utc)
                    | ((SessionRow.recorded_utc == row.recorded_utc) & (SessionRow.id <= row.id))
                )
                .order_by(SessionRow.recorded_utc, SessionRow.id)
            )
            return [session_record(*r) for r in s.execute(query)]

    def delete_session(self, session_id: int | str) -> None:
        """Delete a session with its trials, series, landmarks and reference readings."""
        with self._tx(write=True) as s:
            row = self._find_session(s, session_id)
            s.execute(delete(SessionRow).where(SessionRow.id == row.id))
        self._forget_deleted()

    def _find_session(self, s: Session, session_id: int | str, lock: bool = False) -> SessionRow:
        """The session ``session_id``; with ``lock``, locked for this transaction to change (PostgreSQL
        ``FOR UPDATE``: a change that meets a deletion in progress waits for it, then finds no session)."""
        number = record_id(session_id)
        row = s.get(SessionRow, number, with_for_update=lock or None) if number is not None else None
        if row is None:
            raise RecordNotFound.of("session", session_id, self.where)
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
                analysis["series"] = decode_series(series)
        return session_record(row, n_trials, has_landmarks, pseudonym, analysis)


def _figures(s: Session, *where: ColumnElement[bool]) -> list[SessionFigures]:
    """The :class:`SessionFigures` of the sessions meeting every condition of ``where``, oldest first."""
    columns = [getattr(SessionRow, f.name) for f in dataclasses.fields(SessionFigures)
               if f.name not in ("subject", "recorded_utc", "exercised", "recording_sha256")]
    exercised = exists().where(ExerciseResultRow.session_id == SessionRow.id)
    query = (select(*columns, SubjectRow.pseudonym, SessionRow.recorded_utc, exercised, SessionRow.recording_sha256)
             .outerjoin(SubjectRow, SubjectRow.id == SessionRow.subject_id)
             .where(*where)
             .order_by(SessionRow.recorded_utc, SessionRow.id))
    return [SessionFigures(sid, pseudonym, iso_utc(when) or "", *angles, exercised=bool(done),
                           recording_sha256=fingerprint)
            for sid, *angles, pseudonym, when, done, fingerprint in s.execute(query)]



def _within_two_days(dialect: str, a: Any, b: Any) -> ColumnElement[bool]:
    """Times ``a`` and ``b`` (naive UTC columns) less than two days apart, in the SQL of ``dialect``, as a range
    of ``a`` that its index can be searched by: SQLite keeps times as ISO text (``2026-03-02 10:30:00.000000``,
    ordered as text, and ``datetime(b, '-2 days')`` is such text), PostgreSQL as timestamps."""
    if dialect == "sqlite":
        return and_(a > func.datetime(b, "-2 days"), a < func.datetime(b, "+2 days"))
    return and_(a > b - timedelta(days=2), a < b + timedelta(days=2))
