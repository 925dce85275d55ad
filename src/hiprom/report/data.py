"""What a report is made from: one analysis, and what the store knows around it."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from hiprom.assessment import compare, trend
from hiprom.assessment.exercises import catalogue_or_none
from hiprom.errors import InputError, empty_file
from hiprom.landmarks import SIDES
from hiprom.report.rows import exercise_names, visit_exercises
from hiprom.store import ReferenceRecord, SessionRecord, Store, SubjectRecord, check_analysis
from hiprom.store.records import local_day, parse_utc


@dataclass(frozen=True)
class ReportData:
    """Everything one report (PDF, CSV or JSON export) shows.

    Attributes:
        analysis: the ``hiprom.analysis/1`` dict, series included.
        subject: the subject, when the session is stored with one.
        session: the stored session (operator, notes, date), if stored.
        history: the subject's sessions up to and including this one, oldest
            first (empty or one long when there is no earlier session).
        snapshots: optional PNG bytes of the peak frame of each side, with the
            skeleton drawn (``{"left": b"...", "right": b"..."}``).
        references: the clinic's own instrument readings of this session
            (``hiprom sessions reference``), oldest first.
        program: the home program the clinician kept for the session, if any
            (otherwise the report prints the one made from the suggestions).
        exercise_results: exercises counted in the session (``hiprom.exercise/1``).
        retest: the before/after comparison (``hiprom.retest/1``) when this
            session re-tests an earlier one.
        before: the session it re-tests.
        exercised_between: exercises were counted with ``before`` (the page's
            test, exercises, test again), so the re-test is "after the
            exercises"; otherwise it is only compared with the earlier test.
        since_first: per later session of ``history``, each side's and
            measure's verdict against the subject's first session
            (``improved``, ``no detectable change``, ``decreased``;
            ``hiprom.assessment.trend``), as ``hiprom trend`` marks them.
        first_visit: the session those verdicts compare with: the subject's
            first that measured a figure (``None`` without such a session).
        same_recording_as: per session of ``history`` that analyses again the
            recording of an earlier one, that earlier session
            (``hiprom.assessment.trend``'s ``same_recording_as``): one
            measurement, not a visit of its own, as ``hiprom trend`` says.
        done_at: per earlier session of ``history`` with a program kept or exercises counted, what
            ``hiprom trend`` says of it under its table ("program: 4 exercises; reps done: ...",
            ``hiprom.report.rows.visit_exercises``): whether the exercises were done between the visits.
    """

    analysis: dict[str, Any]
    subject: SubjectRecord | None = None
    session: SessionRecord | None = None
    history: tuple[SessionRecord, ...] = ()
    snapshots: Mapping[str, bytes] = field(default_factory=dict)
    references: tuple[ReferenceRecord, ...] = ()
    program: Mapping[str, Any] | None = None
    exercise_results: tuple[dict[str, Any], ...] = ()
    retest: Mapping[str, Any] | None = None
    before: SessionRecord | None = None
    exercised_between: bool = False
    since_first: Mapping[int, Mapping[str, Mapping[str, str | None]]] = field(default_factory=dict)
    first_visit: int | None = None
    same_recording_as: Mapping[int, int] = field(default_factory=dict)
    done_at: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Checked again here: a session stored by an older hiprom may not follow the schema.
        check_analysis(self.analysis, where=f"session {self.session.id}" if self.session else "analysis")
        bad = sorted(set(self.snapshots) - set(SIDES))
        if bad:
            raise InputError(f"snapshots: unknown side {bad[0]!r}, expecting one of {{left, right}}")

    @classmethod
    def from_store(cls, store: Store, session_id: int | str,
                   snapshots: Mapping[str, bytes] | None = None, before: int | str | None = None,
                   clinic_mdc: Callable[[], tuple[dict[str, float], str]] | None = None,
                   own: bool | None = None) -> ReportData:
        """The report data of a stored session (``RecordNotFound`` if unknown).

        ``before``: the session this one re-tests; by default the subject's
        earlier session of the same day (:meth:`Store.retest_baseline`), if any.
        ``clinic_mdc``: gives the clinic's MDC (:func:`hiprom.report.exercises.clinic_mdc`),
        cached by a caller that reads many sessions, as the MDC pairs every stored session.
        ``own``: whether the store is one patient's at home (:meth:`Store.one_patient`), whose every test is in
        the history whatever its subject; read here when ``None``.
        """
        with store.snapshot():  # one moment of the store: a person erased or a session moved meanwhile is not half in it
            return cls._from_store(store, session_id, snapshots, before, clinic_mdc,
                                   store.one_patient() if own is None else own)

    @classmethod
    def _from_store(cls, store: Store, session_id: int | str, snapshots: Mapping[str, bytes] | None,
                    before: int | str | None,
                    clinic_mdc: Callable[[], tuple[dict[str, float], str]] | None, own: bool) -> ReportData:
        session = store.session(session_id)
        subject = store.subject(session.subject_id) if session.subject_id is not None else None
        assert session.analysis is not None
        baseline_id = store.retest_baseline(session.id, before)
        baseline = store.session(baseline_id) if baseline_id is not None else None
        mdc = clinic_mdc or mdc_of(store)
        retest = None
        if baseline is not None and baseline.analysis is not None:
            retest = compare(baseline.analysis, session.analysis, *mdc())
        history = tuple(store.history(session.id, every=own))  # at home every test is theirs, as in Your tests
        since_first: dict[int, Any] = {}
        first_visit = None
        same_recording_as: dict[int, int] = {}
        done_at: dict[int, str] = {}
        if (session.subject_id is not None or own) and len(history) > 1:
            shown = {h.id for h in history}
            visits = [v for v in store.visits(None if own else session.subject_id) if v["session_id"] in shown]
            marked = trend(visits, *mdc())
            first_visit = marked["first_visit"]
            since_first = {v["session_id"]: v["since_first"] for v in marked["visits"] if v["since_first"]}
            same_recording_as = {v["session_id"]: v["same_recording_as"] for v in marked["visits"]
                                 if v["same_recording_as"] is not None}
            names = exercise_names(catalogue_or_none(), visits)
            done_at = {v["session_id"]: line for v in marked["visits"]
                       if v["session_id"] != session.id and (line := visit_exercises(v, names))}
        return cls(analysis=session.analysis, subject=subject, session=session,
                   history=history, snapshots=dict(snapshots or {}),
                   references=tuple(store.references(session.id)),
                   program=store.program(session.id), exercise_results=tuple(store.exercise_results(session.id)),
                   retest=retest, before=baseline,
                   exercised_between=baseline is not None and bool(store.exercise_results(baseline.id)),
                   since_first=since_first, first_visit=first_visit, same_recording_as=same_recording_as,
                   done_at=done_at)

    @classmethod
    def from_store_many(cls, store: Store, session_ids: Iterable[int | str]) -> list[ReportData]:
        """The report data of several stored sessions (an export), the clinic's MDC and whose store it is read once."""
        mdc = mdc_of(store)
        with store.snapshot():
            own = store.one_patient()
            return [cls.from_store(store, sid, clinic_mdc=mdc, own=own) for sid in session_ids]

    @classmethod
    def from_file(cls, path: str | Path, snapshots: Mapping[str, bytes] | None = None) -> ReportData:
        """The report data of an analysis JSON file (``hiprom analyze --json``)."""
        return cls(analysis=load_analysis_file(path), snapshots=dict(snapshots or {}))

    @property
    def earlier(self) -> tuple[SessionRecord, ...]:
        """Sessions of the subject before this one (the trend chart's history)."""
        return tuple(h for h in self.history if self.session is None or h.id != self.session.id)

    @property
    def visits(self) -> tuple[SessionRecord, ...]:
        """``history`` without the sessions that analyse again an earlier one's recording (the trend chart's
        points: one per visit)."""
        return tuple(h for h in self.history if h.id not in self.same_recording_as)

    @property
    def session_date(self) -> date | None:
        """Day of the assessment on the clinic's clock (stored time, else the analysis's ``created_utc``)."""
        when = parse_utc(self.assessed_utc)
        return None if when is None else local_day(when)

    @property
    def assessed_utc(self) -> str | None:
        """When the assessment took place (ISO, UTC): the stored time, else the analysis's ``created_utc``."""
        return self.session.recorded_utc if self.session else self.analysis.get("created_utc")

    @property
    def age_years(self) -> int | None:
        """Age of the subject on the session date, when the birth date is known."""
        if self.subject is None or not self.subject.date_of_birth or self.session_date is None:
            return None
        born = date.fromisoformat(self.subject.date_of_birth)
        on = self.session_date
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _not_json(name: str) -> None:
    """Python reads NaN and Infinity; JSON has no such numbers, and a figure that is one would be lost unsaid."""
    raise ValueError(f"it holds {name}, which JSON has no place for (write null for a missing figure)")


def read_json_file(path: str | Path, what: str = "a session number or an analysis JSON file",
                   content: str | None = None) -> Any:
    """The JSON of the file at ``path``, strictly (no NaN); one-line ``InputError`` naming ``what`` to give
    for a missing or unreadable file. ``content``: the file's content when it came another way (a file sent to
    the page): ``path`` then only names it in messages."""
    p = Path(path)
    if content is None and not p.is_file():
        raise InputError(f"{p}: no such file; give {what}")
    with contextlib.suppress(OSError):  # an unreadable file is said below
        if (len(content) if content is not None else p.stat().st_size) == 0:
            raise InputError(f"{empty_file(p, 'a JSON file')}; give {what}")
    try:
        data = json.loads(p.read_text(encoding="utf-8") if content is None else content, parse_constant=_not_json)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{p}: not a readable JSON file ({exc}); give {what}") from None
    except RecursionError:  # lists or objects nested thousands deep: no file hiprom writes, a damaged one
        raise InputError(f"{p}: not a readable JSON file (nested too deeply); give {what}") from None
    except ValueError as exc:
        raise InputError(f"{p}: not a JSON file: {exc}") from None
    return data


def load_analysis_file(path: str | Path) -> dict[str, Any]:
    """Read and check an analysis JSON file; one-line ``InputError`` for any defect."""
    p = Path(path)
    data = read_json_file(p)
    from hiprom.report.exports import EXPORT_SCHEMA

    first = data[0] if isinstance(data, list) and data else data
    if isinstance(first, dict) and first.get("schema") == EXPORT_SCHEMA:
        raise InputError(f"{p}: is an export of stored sessions ({EXPORT_SCHEMA}), not an analysis; give the JSON "
                         "written by 'hiprom analyze --json', or load the export's sessions with their readings, "
                         f"program and exercises with 'hiprom store import {p}'")
    return check_analysis(data, where=str(p))


def utc_stamp() -> str:
    """Now, as ``2026-11-21T21:00:00Z``."""
    return datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def mdc_of(store: Store) -> Callable[[], tuple[dict[str, float], str]]:
    """The clinic's MDC of ``store``, asked of the store once and only when called."""
    from hiprom.report.exercises import clinic_mdc

    return functools.cache(lambda: clinic_mdc(store))
