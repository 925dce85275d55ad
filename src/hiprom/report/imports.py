"""``hiprom store import``: the sessions of a JSON export (``hiprom.export/1``) loaded into a store.

A patient moving to another clinic, or a colleague's export: each session
comes with its subject's details, its analysis and series, the reference
readings, the kept home program and the counted exercises. Each part is
checked by the one check of its record (the analysis schema, the pseudonym
rule, :class:`~hiprom.store.ReferenceInput`, the program and exercise
checks) before anything is written, and everything is written in one
transaction (:meth:`~hiprom.store.Store.transaction`): all of it, or nothing.

Each session keeps where it came from (``origin``: the file's name, or the
file the first store had imported it from), so a history tells the tests done
here from those sent in. The records keep the times the file gives them: when each session was saved,
its subject added (a subject new to the target), each reading stored and the
program last changed, so history and lists read as at the first store; a
record the file gives no time for gets the import's. The target gives its own
numbers (the file's session 12 may become 57). A
pseudonym the target has already is refused unless ``subject`` names whose
records these are (P-0042 at one clinic may be someone else at another). A
session the target holds already (the same analysis, assessed at the same
time) is not stored again: a patient who self-tests at home sends all their
sessions each week, and only the new ones are added, to the subject the
earlier ones were imported to (whose pseudonym here is not the file's). The
exercises of a held session that the target lacks are added to it: the
patient's file of the home program's session carries what they did at home
since the visit (the same record at the same second is held already). A
file with nothing new is refused, as is one whose sessions are of no subject
without ``subject`` (they would be nobody's). Given ``subject``, an analysis
file (``hiprom analyze --json``, a batch's ``.analysis.json``) is taken as
that person's test, once: a clinic working on the page has no terminal for
``hiprom sessions add``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from hiprom.assessment import check_program, load_catalogue
from hiprom.assessment.schema import SCHEMA as ANALYSIS_SCHEMA
from hiprom.errors import InputError, StoreError
from hiprom.parsing import record_id
from hiprom.report.data import read_json_file
from hiprom.report.exports import EXPORT_SCHEMA
from hiprom.store import RecordExists, RecordNotFound, ReferenceInput, Store, check_analysis
from hiprom.store.programs import check_exercise_result
from hiprom.store.records import check_pseudonym, clean_json, parse_date_of_birth, parse_utc, utc_now
from hiprom.store.references import COLUMNS
from hiprom.store.schema import ExerciseResultRow, HomeProgramRow, ReferenceRow, SessionRow, SubjectRow

_SCHEMA = re.compile(r"hiprom\.export/(\d+)")
ORIGIN_MAX = SessionRow.origin.type.length
"""The longest ``origin`` a session keeps (its column's length)."""
ANALYSIS_SCHEMA_PREFIX = ANALYSIS_SCHEMA.split("/")[0] + "/"
"""How an analysis file's ``schema`` begins, whatever its version (the analysis's own check reads that)."""
_NO_DETAILS = {"operator": None, "notes": None, "camera": None, "settings": None}
"""What an analysis file gives of its session besides the analysis: nothing (the import names the file)."""
_STORED_KEYS = ("id", "session_id", "recorded_utc")
"""What the store adds to a counted exercise's record when it gives it back (not part of the record)."""


class ImportClash(StoreError):
    """The file clashes with what the store holds (imported already, or its person is someone else's here):
    nothing is stored. A ``StoreError`` (exit code 5); the API answers 409."""


@dataclass(frozen=True)
class ImportedSession:
    """One session of an export, checked: what the store is given for it."""

    number: str
    """The session's number in the file (``12``), or its place there (``#2``) when it was not stored."""
    subject: Mapping[str, Any] | None
    analysis: dict[str, Any]
    recorded_utc: str | None
    details: Mapping[str, Any]
    readings: tuple[ReferenceInput, ...] = ()
    program: Mapping[str, Any] | None = None
    exercises: tuple[tuple[dict[str, Any], str | None], ...] = ()
    saved_utc: datetime | None = None
    """When the first store saved the session (``None``: the file does not say; the import's time)."""
    readings_utc: tuple[datetime | None, ...] = ()
    """When the first store stored each of ``readings``."""
    program_utc: datetime | None = None
    """When the home program was last changed at the first store."""
    had_landmarks: bool = False
    """The first store kept the session's landmark recording, which an export does not hold."""
    origin: str | None = None
    """The export file the first store had imported the session from, if it had (kept: where it was tested)."""


@dataclass(frozen=True)
class ImportResult:
    """What an import stored: the file's session numbers -> the store's, the subjects, the rows per kind."""

    store: str
    numbers: dict[str, int]
    subjects: tuple[str, ...]
    new_subjects: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)
    without_landmarks: tuple[str, ...] = ()
    """The file's sessions whose landmark recording the first store kept and the file does not hold."""
    already: dict[str, int] = field(default_factory=dict)
    """The file's sessions the store held already (from an earlier import) -> their numbers here; not stored again."""
    exercises_added: dict[str, int] = field(default_factory=dict)
    """The file's sessions held already -> how many of their exercises were new here and added (none: left out)."""


def read_export(path: str | Path, content: str | None = None, analysis: bool = False) -> list[ImportedSession]:
    """The sessions of the export file at ``path``, each part checked; one-line ``InputError`` for any defect.
    ``content``: the file's content when it was sent to the page (``path`` is then its name). ``analysis``: an
    analysis file (``hiprom analyze --json``, a batch's ``.analysis.json``) is read too, as one session of nobody
    (it names no one, so the import needs to be told whose test it is)."""
    p = Path(path)
    data = read_json_file(p, "the JSON file written by 'hiprom sessions export N --format json'", content)
    if analysis and isinstance(data, Mapping) and str(data.get("schema")).startswith(ANALYSIS_SCHEMA_PREFIX):
        return [ImportedSession("#1", None, check_analysis(data, where=str(p)), None, _NO_DETAILS)]
    items = data if isinstance(data, list) else [data]
    if not items:
        raise InputError(f"{p}: holds no session; give the JSON written by 'hiprom sessions export N --format json'")
    sessions = [_session(p, i, item) for i, item in enumerate(items, 1)]
    numbers = [item.number for item in sessions]
    twice = next((n for n in numbers if numbers.count(n) > 1), None)
    if twice is not None:
        raise InputError(f"{p}: holds session {twice} twice; export each session once")
    return sessions


def _check_schema(p: Path, item: Any) -> None:
    schema = item.get("schema") if isinstance(item, Mapping) else None
    match = _SCHEMA.fullmatch(schema) if isinstance(schema, str) else None
    if match and int(match.group(1)) > 1:
        raise InputError(f"{p}: is a {schema} export, from a newer hiprom than this one (it reads "
                         f"{EXPORT_SCHEMA}); upgrade hiprom to import it")
    if match:
        return
    if isinstance(schema, str) and schema.startswith(ANALYSIS_SCHEMA_PREFIX):
        raise InputError(f"{p}: is an analysis, not an export of stored sessions; store it with "
                         f"'hiprom sessions add {p}', or name whose test it is with --subject")
    found = f"schema {schema!r}" if isinstance(schema, str) else "no hiprom schema"
    raise InputError(f"{p}: is not a hiprom export ({found}); give the JSON written by "
                     "'hiprom sessions export N --format json'")


def _session(p: Path, place: int, item: Any) -> ImportedSession:
    """One item of the export, checked part by part; errors name the file and the session."""
    _check_schema(p, item)
    session = item.get("session")
    if session is not None and not isinstance(session, Mapping):
        raise InputError(f"{p}: item {place}: 'session' must be an object or null")
    session = session or {}
    number = str(session["id"]) if isinstance(session.get("id"), int) else f"#{place}"
    where = f"{p}: session {number}"
    try:
        subject = item.get("subject")
        if subject is not None:
            if not isinstance(subject, Mapping):
                raise InputError("'subject' must be an object or null")
            subject = {**subject, "pseudonym": check_pseudonym(subject.get("pseudonym", "")),
                       "created_utc": _stamp(subject, "created_utc", "subject")}
            parse_date_of_birth(subject.get("date_of_birth"))
        analysis = check_analysis(item.get("analysis"), where="analysis")
        references = _list(item, "references")
        readings = tuple(_reading(r) for r in references)
        readings_utc = tuple(_stamp(r, "created_utc", "reference reading") for r in references)
        program = None if item.get("program") is None else check_program(item["program"], load_catalogue())
        program_utc = None if program is None else _stamp(item["program"], "updated_utc", "program")
        saved_utc = _stamp(session, "saved_utc", "session")
        exercises = tuple(_exercise(e) for e in _list(item, "exercise_results"))
        settings = session.get("settings")
        if settings is not None and not isinstance(settings, Mapping):
            raise InputError("session: 'settings' must be an object")
        origin = session.get("origin")
        if origin is not None and not (isinstance(origin, str) and 0 < len(origin) <= ORIGIN_MAX):
            raise InputError(f"session: 'origin' must be a file name of 1 to {ORIGIN_MAX} characters, or null")
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    details = {key: session.get(key) for key in ("operator", "notes", "camera")}
    return ImportedSession(number, subject, analysis, session.get("recorded_utc"),
                           {**details, "settings": settings}, readings, program, exercises,
                           saved_utc, readings_utc, program_utc, session.get("has_landmarks") is True, origin)


def _stamp(record: Mapping[str, Any], key: str, what: str) -> datetime | None:
    """The time ``record[key]`` (naive UTC) a record was stored at the first store; ``None`` if not given.

    Raises:
        InputError: it is given but is no ISO 8601 time, or is later than now.
    """
    value = record.get(key)
    if value is None:
        return None
    when = parse_utc(value)
    if when is None:
        raise InputError(f"{what}: {key} {value!r} is not an ISO 8601 time such as 2026-03-02T09:30:00Z")
    if when > utc_now() + timedelta(minutes=5):  # clocks of two clinics a little apart
        raise InputError(f"{what}: {key} {value!r} is later than now; check the file's times")
    return when


def _list(item: Mapping[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{key!r} must be a list")
    return value


def _reading(record: Any) -> ReferenceInput:
    if not isinstance(record, Mapping):
        raise InputError("a reference reading must be an object")
    return ReferenceInput(instrument=record.get("instrument"), rater=record.get("rater"), notes=record.get("notes"),
                          **{column: record.get(column) for column in COLUMNS.values()})


def _exercise(record: Any) -> tuple[dict[str, Any], str | None]:
    if not isinstance(record, Mapping):
        raise InputError("a counted exercise must be an object")
    when = record.get("recorded_utc")
    return check_exercise_result({k: v for k, v in record.items() if k not in _STORED_KEYS}), when


def import_export(store: Store, path: str | Path, subject: str | None = None,
                  content: str | None = None) -> ImportResult:
    """Store every session of the export at ``path`` with its readings, program and exercises, in one transaction.

    ``subject``: the pseudonym (or number) in ``store`` whose records these are; a pseudonym not stored yet
    is added with the file's name, birth date and notes. Without it, each subject of the file is added
    under its own pseudonym, which must be new to ``store``.

    Raises:
        InputError: the file is not an export this hiprom reads, or a part of it is malformed; ``subject``
            is given for a file of several subjects.
        ImportClash: a pseudonym of the file is taken in ``store`` (without ``subject``); a session of the
            file is in ``store`` already. Nothing is stored then.

    ``content``: the file's content when it was sent to the page; ``path`` is then its name. With ``subject``,
    ``path`` may also be an analysis file (``hiprom analyze --json``): stored as that person's test, once.
    """
    p = Path(path)
    items = read_export(p, content, analysis=subject is not None)
    pseudonyms = sorted({item.subject["pseudonym"] for item in items if item.subject})
    if subject is not None and len(pseudonyms) > 1:
        raise InputError(f"{p}: holds sessions of {len(pseudonyms)} subjects ({', '.join(pseudonyms)}); --subject "
                         "names one person: export and import each subject's sessions alone")
    numbers: dict[str, int] = {}
    rows = {"reference_readings": 0, "home_programs": 0, "exercise_results": 0}
    made: list[str] = []
    with store.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":  # another import of the same file waits, then finds it held
            s.execute(text(f"LOCK TABLE {SessionRow.__tablename__} IN SHARE ROW EXCLUSIVE MODE"))
        already = {item.number: held for item in items if (held := _held(s, item)) is not None}
        new_exercises = {item.number: fresh for item in items if item.number in already
                         and (fresh := _new_exercises(s, already[item.number], item.exercises))}
        if len(already) == len(items) and not new_exercises:
            first = items[0].number
            raise ImportClash(f"{p}: was imported already: its session {first} is in {store.where} as "
                              f"session {already[first]}; nothing was imported")
        subject = _joined_subject(s, store, p, already, subject)
        items = [item for item in items if item.number not in already]
        if subject is None and any(item.subject is None for item in items):
            raise InputError(f"{p}: its sessions were saved without a pseudonym, so they would be nobody's here; "
                             "name whose records these are with --subject (this person's pseudonym here, or a "
                             "new one); nothing was imported")
        pseudonyms = sorted({item.subject["pseudonym"] for item in items if item.subject})
        given = {item.subject["pseudonym"]: item.subject for item in items if item.subject}
        targets = {name: _target(store, p, name, given[name], subject, made) for name in pseudonyms}
        for name in pseudonyms:
            if targets[name] in made:
                _restamp(s, SubjectRow, SubjectRow.pseudonym, targets[name], SubjectRow.created_utc,
                         given[name]["created_utc"])
        if subject is not None:  # whose the file's sessions saved without a pseudonym are (a patient's self-tests)
            targets[""] = _target(store, p, None, {}, subject, made)
        for item in sorted(items, key=_first_store_order):
            who = targets.get(item.subject["pseudonym"] if item.subject else "")
            try:
                saved = store.save_analysis(item.analysis, subject=who, recorded_utc=item.recorded_utc,
                                            create_subject=False, **item.details)
            except InputError as exc:
                raise InputError(f"{p}: session {item.number}: {exc}") from None
            numbers[item.number] = saved.id
            _restamp(s, SessionRow, SessionRow.id, saved.id, SessionRow.saved_utc, item.saved_utc)
            s.execute(update(SessionRow).where(SessionRow.id == saved.id)
                      .values(origin=item.origin or p.name[:ORIGIN_MAX]))
            if item.readings:
                added = store.add_references([(saved.id, reading) for reading in item.readings])
                for record, when in zip(added, item.readings_utc):
                    _restamp(s, ReferenceRow, ReferenceRow.id, record.id, ReferenceRow.created_utc, when)
            if item.program is not None:
                store.set_program(saved.id, item.program)
                _restamp(s, HomeProgramRow, HomeProgramRow.session_id, saved.id, HomeProgramRow.updated_utc,
                         item.program_utc)
            for record, when in item.exercises:
                store.add_exercise_result(saved.id, record, recorded_utc=when)
            rows["reference_readings"] += len(item.readings)
            rows["home_programs"] += int(item.program is not None)
            rows["exercise_results"] += len(item.exercises)
        for number, fresh in new_exercises.items():
            for record, when in fresh:
                store.add_exercise_result(already[number], record, recorded_utc=when)
            rows["exercise_results"] += len(fresh)
    shown = tuple(dict.fromkeys(t for t in targets.values() if t is not None))
    return ImportResult(store.where, numbers, shown, tuple(made), rows,
                        tuple(item.number for item in items if item.had_landmarks), already,
                        {number: len(fresh) for number, fresh in new_exercises.items()})


def _joined_subject(s: Session, store: Store, p: Path, already: Mapping[str, int], subject: str | None) -> str | None:
    """Whose records the file's new sessions are: those it held already are someone's here, and the new ones join
    them (the file's pseudonym is the patient's own at home, not the clinic's); ``subject`` when none is held.

    Raises:
        ImportClash: ``subject`` names another person than the one the held sessions are of, or they are of
            several subjects here.
    """
    if not already:
        return subject
    ids = set(s.scalars(select(SessionRow.subject_id).where(SessionRow.id.in_(already.values()))))
    names = dict(s.execute(select(SubjectRow.id, SubjectRow.pseudonym).where(SubjectRow.id.in_(ids))).all())
    held_as = sorted(names.values())
    if not held_as or None in ids:
        return subject
    stored = [f"session {number} as {already[number]}" for number in already]
    if len(held_as) > 1:
        raise ImportClash(f"{p}: its sessions imported before are of {len(held_as)} subjects here "
                          f"({', '.join(held_as)}: {', '.join(stored)}); move them to one person with "
                          "'hiprom sessions move', then import the file again; nothing was imported")
    if subject is not None:
        try:
            named = store.subject(subject).pseudonym
        except RecordNotFound:
            named = subject
        if named != held_as[0]:
            raise ImportClash(f"{p}: its sessions imported before are {held_as[0]}'s here ({', '.join(stored)}), "
                              f"not {subject}'s; import it with --subject {held_as[0]}, or without --subject; "
                              "nothing was imported")
    return held_as[0]


def _first_store_order(item: ImportedSession) -> tuple[datetime, datetime, int]:
    """The order the first store kept: by assessment time, then when saved, then its number there, so the new
    numbers follow it whatever the order of the file (``sessions export 13 12``)."""
    last = datetime.max
    number = int(item.number) if item.number.isdigit() else 0
    return (parse_utc(item.recorded_utc) or parse_utc(item.analysis.get("created_utc")) or last,
            item.saved_utc or last, number)


def _restamp(s: Session, table: type, key: Any, value: Any, column: Any, when: datetime | None) -> None:
    """Give the row of ``table`` whose ``key`` is ``value`` the first store's time ``when`` (if the file has one)."""
    if when is not None:
        s.execute(update(table).where(key == value).values({column: when}))


def _held(s: Session, item: ImportedSession) -> int | None:
    """The number of the stored session that is ``item`` (its analysis, assessed within a second), if any."""
    when = parse_utc(item.recorded_utc) or parse_utc(item.analysis.get("created_utc"))
    if when is None:
        return None
    analysis = clean_json({k: v for k, v in item.analysis.items() if k != "series"})
    near = select(SessionRow.id, SessionRow.analysis_json).where(
        SessionRow.recorded_utc.between(when - timedelta(seconds=1), when + timedelta(seconds=1)))
    for number, stored in s.execute(near):
        if json.loads(stored) == analysis:
            return int(number)
    return None


def _new_exercises(s: Session, session_id: int, exercises: Sequence[tuple[dict[str, Any], str | None]]
                   ) -> list[tuple[dict[str, Any], str | None]]:
    """Those of a held session's ``exercises`` (record, time) that the stored session lacks: the same record at
    the same second is held (an export gives whole seconds); a record without a time, the same record at any."""
    def key(record: Any, when: datetime | None) -> str:
        return json.dumps(record, sort_keys=True) + ("" if when is None else when.replace(microsecond=0).isoformat())

    rows = s.execute(select(ExerciseResultRow.result_json, ExerciseResultRow.recorded_utc)
                     .where(ExerciseResultRow.session_id == session_id)).all()
    held = Counter(key(json.loads(body), when) for body, when in rows)
    held.update(key(json.loads(body), None) for body, _ in rows)
    fresh = []
    for record, when in exercises:
        k = key(record, parse_utc(when))
        if held[k] > 0:
            held[k] -= 1
        else:
            fresh.append((record, when))
    return fresh


def _target(store: Store, p: Path, pseudonym: str | None, details: Mapping[str, Any], subject: str | None,
            made: list[str]) -> str | None:
    """The pseudonym in ``store`` the file's subject ``pseudonym`` is imported as: ``subject`` when given
    and stored, else a new subject (``subject``, or the file's pseudonym) with the file's ``details``."""
    if subject is not None:
        try:
            return store.subject(subject).pseudonym
        except RecordNotFound:
            if record_id(subject) is not None:  # an unknown number is never made a pseudonym
                raise
        pseudonym = subject
    if pseudonym is None:
        return None
    try:
        added = store.add_subject(pseudonym, name=details.get("name"), date_of_birth=details.get("date_of_birth"),
                                  notes=details.get("notes"))
    except RecordExists:
        raise ImportClash(f"{p}: subject {pseudonym!r} already exists in {store.where}, and a pseudonym at another "
                          "clinic may be someone else; name whose records these are with --subject (this "
                          "person's pseudonym here, or a new one); nothing was imported") from None
    made.append(added.pseudonym)
    return added.pseudonym
