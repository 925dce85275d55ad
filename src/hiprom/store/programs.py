"""What the store keeps of the exercises: a session's home program and its counted exercises.

:class:`ProgramStore` is mixed into :class:`~hiprom.store.Store`; each method
is one transaction, like the store's own. The program and the results are
checked before they reach the store (``hiprom.assessment.check_program`` and
:func:`check_exercise_result`), so what is stored is always whole and valid.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from hiprom.assessment.retest import same_recording
from hiprom.errors import InputError
from hiprom.landmarks import SIDES
from hiprom.parsing import check_json_tree, record_id
from hiprom.store.records import dumps, iso_utc, local_day, local_midnight_utc, utc_now
from hiprom.store.schema import ExerciseResultRow, HomeProgramRow, SessionRow, SubjectRow

if TYPE_CHECKING:
    import contextlib

    from sqlalchemy.orm import Session

EXERCISE_SCHEMA = "hiprom.exercise/1"
PROGRAM_SCHEMA = "hiprom.program/1"


def check_exercise_result(result: Any) -> dict[str, Any]:
    """``result`` if it is a ``hiprom.exercise/1`` record (as ``exercise_result`` makes, or the page's timer with
    ``"timed": true``: holds the timer ran, not reps the camera saw), else ``InputError``."""
    if not isinstance(result, Mapping) or result.get("schema") != EXERCISE_SCHEMA:
        raise InputError(f"exercise result: expecting a {EXERCISE_SCHEMA!r} object "
                         "(as 'hiprom reps --json' or the live counter write it)")
    check_json_tree(result, "exercise result")  # before anything walks it: deep nesting, lone surrogates
    if not isinstance(result.get("exercise"), str) or not 0 < len(result["exercise"]) <= 40:
        raise InputError("exercise result: 'exercise' must be an exercise id")
    timed = result.get("timed", False)
    if not isinstance(timed, bool):
        raise InputError(f"exercise result: 'timed' must be true or false, but got {timed!r}")
    sides = (*SIDES, "both") if timed else SIDES  # a timer may guide both legs at once; the camera counts one
    if result.get("side") not in sides:
        raise InputError(f"exercise result: side must be one of {{{', '.join(sides)}}}, but got {result.get('side')!r}")
    if result.get("direction") not in ("internal", "external"):
        raise InputError("exercise result: direction must be internal or external")
    for key in ("reps_done", "reps_target"):
        value = result.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
            raise InputError(f"exercise result: {key} must be a whole number from 0 to 10000, but got {value!r}")
    if not isinstance(result.get("reps"), list):
        raise InputError("exercise result: 'reps' must be a list")
    return dict(result)


class ProgramStore:
    """Home programs and counted exercises (methods of :class:`~hiprom.store.Store`)."""

    if TYPE_CHECKING:
        def _tx(self, write: bool = False) -> contextlib.AbstractContextManager[Session]: ...
        def _find_session(self, s: Session, session_id: int | str) -> SessionRow: ...
        def _find_subject(self, s: Session, ref: str | int) -> SubjectRow: ...

    def program(self, session_id: int | str) -> dict[str, Any] | None:
        """The home program kept for a session (``hiprom.program/1``), or ``None`` if none was kept."""
        with self._tx() as s:
            row = s.get(HomeProgramRow, self._find_session(s, session_id).id)
            if row is None:
                return None
            return {**json.loads(row.program_json), "updated_utc": iso_utc(row.updated_utc)}

    def set_program(self, session_id: int | str, program: Mapping[str, Any]) -> dict[str, Any]:
        """Keep ``program`` (already checked) as the session's home program, replacing any before."""
        if program.get("schema") != PROGRAM_SCHEMA or not isinstance(program.get("items"), list):
            raise InputError(f"program: expecting a checked {PROGRAM_SCHEMA!r} object")
        body = {k: v for k, v in program.items() if k != "updated_utc"}
        with self._tx(write=True) as s:
            sid = self._find_session(s, session_id).id
            row = s.get(HomeProgramRow, sid)
            now = utc_now()
            if row is None:
                s.add(HomeProgramRow(session_id=sid, updated_utc=now, n_items=len(body["items"]),
                                     program_json=dumps(body)))
            else:
                row.updated_utc, row.n_items, row.program_json = now, len(body["items"]), dumps(body)
        return {**body, "updated_utc": iso_utc(now)}

    def handed_program(self) -> int | None:
        """The session whose home program a clinician handed over to this store, if it is a patient's own.

        That is the newest session (by assessment time) with a kept program, when every kept program of the
        store came in from a file (``origin``: ``hiprom program import``, ``hiprom store import``) and all
        are one subject's: a patient's store at home. A store where a program was kept here (a clinic's)
        has none, so a clinic's page never shows one patient's program to the next.
        """
        with self._tx() as s:
            rows = s.execute(select(SessionRow.id, SessionRow.subject_id, SessionRow.origin)
                             .join(HomeProgramRow, HomeProgramRow.session_id == SessionRow.id)
                             .order_by(SessionRow.recorded_utc.desc(), SessionRow.id.desc())).all()
        if not rows or any(row.origin is None for row in rows) or len({row.subject_id for row in rows}) > 1:
            return None
        return int(rows[0].id)

    def patients_own(self) -> bool:
        """Whether this store may be a patient's own at home: it follows a program handed over
        (:meth:`handed_program`), or none was kept here and it holds one subject at most (a patient before
        their first program). A clinic's store, with programs kept here or several patients, is not."""
        if self.handed_program() is not None:
            return True
        with self._tx() as s:
            kept_here = s.scalar(select(func.count()).select_from(HomeProgramRow)
                                 .join(SessionRow, HomeProgramRow.session_id == SessionRow.id)
                                 .where(SessionRow.origin.is_(None))) or 0
            subjects = s.scalar(select(func.count()).select_from(SubjectRow)) or 0
        return kept_here == 0 and subjects <= 1

    def one_patient(self) -> bool:
        """Whether this store holds one patient's records at home: it may be a patient's own (:meth:`patients_own`)
        and names one person at most (a clinic that took in another's patient with their program does not)."""
        with self._tx() as s:
            subjects = s.scalar(select(func.count()).select_from(SubjectRow)) or 0
        return subjects <= 1 and self.patients_own()

    def delete_program(self, session_id: int | str) -> bool:
        """Forget the session's home program (back to the suggestions); True if there was one."""
        with self._tx(write=True) as s:
            sid = self._find_session(s, session_id).id
            return bool(s.execute(delete(HomeProgramRow).where(HomeProgramRow.session_id == sid)).rowcount)

    def add_exercise_result(self, session_id: int | str, result: Mapping[str, Any],
                            recorded_utc: Any = None) -> dict[str, Any]:
        """Store one counted exercise (``hiprom.exercise/1``) with the session; returns it with its id."""
        from hiprom.store.records import parse_utc

        record = check_exercise_result(result)
        when = parse_utc(recorded_utc) or utc_now()
        with self._tx(write=True) as s:
            sid = self._find_session(s, session_id).id
            row = ExerciseResultRow(session_id=sid, recorded_utc=when, exercise=record["exercise"],
                                    side=record["side"], direction=record["direction"],
                                    reps_done=record["reps_done"], reps_target=record["reps_target"],
                                    result_json=dumps(record))
            s.add(row)
            s.flush()
            return _result(row)

    def exercise_results(self, session_id: int | str) -> list[dict[str, Any]]:
        """The exercises counted in a session, in the order they were done."""
        with self._tx() as s:
            sid = self._find_session(s, session_id).id
            rows = s.scalars(select(ExerciseResultRow).where(ExerciseResultRow.session_id == sid)
                             .order_by(ExerciseResultRow.recorded_utc, ExerciseResultRow.id))
            return [_result(row) for row in rows]

    def _programs_and_results(self, s: Session, ids: list[int]) -> tuple[dict[int, Any], dict[int, list]]:
        """Programs and exercise results of several sessions in two queries (for the trend)."""
        programs = {row.session_id: json.loads(row.program_json)
                    for row in s.scalars(select(HomeProgramRow).where(HomeProgramRow.session_id.in_(ids)))}
        results: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for row in s.scalars(select(ExerciseResultRow).where(ExerciseResultRow.session_id.in_(ids))
                             .order_by(ExerciseResultRow.recorded_utc, ExerciseResultRow.id)):
            results[row.session_id].append(_result(row))
        return programs, results

    def retest_baseline(self, session_id: int | str, before: int | str | None = None) -> int | str | None:
        """The test a session re-tests: ``before`` when given, else the subject's latest earlier session
        on the same day (:func:`~hiprom.store.records.local_day`), if any.

        "Test again" after the exercises happens in the same visit, so the
        baseline of a re-test is found without a stored link. ``InputError``
        when ``before`` names the session itself (a comparison with nothing),
        a later session (every verdict would read backwards), another
        subject's (one person's change cannot be measured against another) or
        an analysis of the same recording (one measurement, no re-test:
        :func:`~hiprom.assessment.retest.same_recording`), which the default
        passes over too.
        """
        if before is not None and record_id(before) is not None and record_id(before) == record_id(session_id):
            raise InputError(f"before: session {record_id(session_id)} cannot be compared with itself; "
                             "give the session it re-tests")
        with self._tx() as s:
            row = self._find_session(s, session_id)
            if before is not None:
                return _checked_baseline(s, row, self._find_session(s, before))
            if row.subject_id is None:
                return None
            earlier = s.execute(
                select(SessionRow.id, SessionRow.recorded_utc, SessionRow.recording_sha256)
                .where(SessionRow.subject_id == row.subject_id)
                .where((SessionRow.recorded_utc < row.recorded_utc)
                       | ((SessionRow.recorded_utc == row.recorded_utc) & (SessionRow.id < row.id)))
                .where(SessionRow.recorded_utc >= local_midnight_utc(local_day(row.recorded_utc)))
                .order_by(SessionRow.recorded_utc.desc(), SessionRow.id.desc())
            )
            return next((sid for sid, _, fingerprint in earlier
                         if not same_recording(fingerprint, row.recording_sha256)), None)

    def visits(self, subject: str | int | None) -> list[dict[str, Any]]:
        """A subject's sessions, oldest first, with analysis (no series), program and exercises; ``None``: every
        session of the store (a patient's own, whose tests saved without a pseudonym are theirs too).

        The input of :func:`hiprom.assessment.trend`: ``[{"session_id", "recorded_utc", "origin",
        "analysis", "program", "exercise_results"}]`` (``origin``: the file it was imported from, or ``None``).
        """
        with self._tx() as s:
            query = select(SessionRow)
            if subject is not None:
                query = query.where(SessionRow.subject_id == self._find_subject(s, subject).id)
            rows = list(s.scalars(query.order_by(SessionRow.recorded_utc, SessionRow.id)))
            programs, results = self._programs_and_results(s, [r.id for r in rows])
            return [
                {"session_id": r.id, "recorded_utc": iso_utc(r.recorded_utc), "origin": r.origin,
                 "analysis": json.loads(r.analysis_json),
                 "program": programs.get(r.id), "exercise_results": results[r.id]}
                for r in rows
            ]


def _checked_baseline(s: Session, row: SessionRow, earlier: SessionRow) -> int:
    """``earlier.id`` when it can be the test ``row`` re-tests: the same subject's, recorded before it."""
    if row.subject_id is not None and earlier.subject_id is not None and earlier.subject_id != row.subject_id:
        names = dict(s.execute(select(SubjectRow.id, SubjectRow.pseudonym)
                               .where(SubjectRow.id.in_([row.subject_id, earlier.subject_id]))).all())
        raise InputError(f"before: session {earlier.id} is of subject {names[earlier.subject_id]}, session {row.id} "
                         f"of {names[row.subject_id]}; give an earlier session of {names[row.subject_id]}")
    if (earlier.recorded_utc, earlier.id) > (row.recorded_utc, row.id):
        raise InputError(f"before: session {earlier.id} was recorded after session {row.id}; "
                         f"compare them the other way round (session {earlier.id}, before {row.id})")
    if same_recording(earlier.recording_sha256, row.recording_sha256):
        raise InputError(f"before: sessions {earlier.id} and {row.id} are analyses of one recording, one "
                         f"measurement; give the session of a test of its own, before {row.id}")
    return earlier.id


def _result(row: ExerciseResultRow) -> dict[str, Any]:
    """The stored record with its id and time; its columns alone when the record cannot be shown.

    Results stored before :func:`check_exercise_result` walked the whole tree
    may be nested too deeply to read back or answer with; they are shown by
    their columns (exercise, side, direction, reps done and asked) and a note,
    so listing a session's exercises never fails on them.
    """
    try:
        record = json.loads(row.result_json)
        check_json_tree(record, "stored exercise result")
    except (ValueError, RecursionError, InputError):
        record = {"schema": EXERCISE_SCHEMA, "exercise": row.exercise, "side": row.side,
                  "direction": row.direction, "reps_done": row.reps_done, "reps_target": row.reps_target,
                  "reps": [], "note": "the stored record is nested too deeply to show; only its counts are kept"}
    return {**record, "id": row.id, "session_id": row.session_id, "recorded_utc": iso_utc(row.recorded_utc)}
