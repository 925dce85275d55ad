"""Plain records the store hands out, and the checks on what goes in.

The store never hands out ORM objects: callers (CLI, REST routes, report)
get frozen dataclasses of plain values that stay valid after the database
transaction ends and turn into JSON with ``to_dict()``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from hiprom.assessment.schema import SCHEMA, parse_iso_utc, validate_analysis
from hiprom.errors import InputError, StoreError
from hiprom.parsing import check_text

ANALYSIS_SCHEMA = SCHEMA
PSEUDONYM_MAX = 64


_LISTED_BY = {"subject": ("'hiprom subjects list'", "GET /api/subjects"),
              "session": ("'hiprom sessions list'", "GET /api/sessions"),
              "reference reading": ("'hiprom sessions show SESSION'", "GET /api/references")}
"""Where the records of each kind are listed: the CLI command, and the API route."""


class RecordError(StoreError):
    """A finding about the records, said once and given in two forms.

    ``str(exc)`` is for the machine's owner at a terminal (the database file,
    the command to type); ``exc.api`` is the same finding for an API caller
    (the page, a script): the route to call, not the server's file path or a
    command to type.
    """

    def __init__(self, message: str, api: str | None = None) -> None:
        super().__init__(message)
        self.api = message if api is None else api


class RecordNotFound(RecordError):
    """No subject, session or reference reading has the id the user gave."""

    @classmethod
    def of(cls, kind: str, ref: Any, where: str, *, add_subject: bool = False) -> RecordNotFound:
        """``no session '42' in WHERE; see 'hiprom sessions list'`` and its API form, for ``kind`` in
        :data:`_LISTED_BY`; ``add_subject`` adds how to add a new person named ``ref`` first."""
        cli, route = _LISTED_BY[kind]
        missing = f"no {kind} {str(ref)!r}"
        then_cli = f", or add a new person first ('hiprom subjects add {ref}')" if add_subject else ""
        then_api = ", or add a new person first (POST /api/subjects)" if add_subject else ""
        return cls(f"{missing} in {where}; see {cli}{then_cli}", api=f"{missing}; see {route}{then_api}")


class RecordExists(RecordError):
    """Another subject has the pseudonym asked for (in these or other capitals or accents)."""

    @classmethod
    def pseudonym(cls, taken: str, *, alike: bool, join: bool = False) -> RecordExists:
        """``subject 'P-0043' already exists; choose another pseudonym`` and its API form.

        ``alike``: ``taken`` differs from the pseudonym asked for only in capitals or accents.
        ``join``: add how to join two subjects who are one person, by moving the sessions of one
        to the other (``hiprom sessions move``; ``PATCH /api/sessions/{id}`` for an API caller).
        """
        also = " (pseudonyms that differ only in capitals or accents name one person)" if alike else ""
        refused = f"subject {taken!r} already exists{also}; choose another pseudonym"
        if not join:
            return cls(refused)
        move = ", or move the sessions of one to the other"
        body = json.dumps({"subject": taken}, ensure_ascii=False)
        return cls(f"{refused}{move} with 'hiprom sessions move N --subject ...'",
                   api=f"{refused}{move} with PATCH /api/sessions/{{id}} and {body}")


def check_analysis(analysis: Any, where: str = "analysis") -> dict[str, Any]:
    """Return ``analysis`` if it follows ``hiprom.analysis/1``, else raise ``InputError`` naming the field.

    The one schema (:mod:`hiprom.assessment.schema`) checked on every save and
    every report, so nothing stored can break its report later. NumPy values
    and NaN (as ``assess`` callers may pass them) are made plain JSON first.
    """
    return validate_analysis(analysis, where, prepare=clean_json)


def clean_json(value: Any) -> Any:
    """``value`` with NaN/inf as ``None`` and numpy scalars and arrays as Python values."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):  # numpy array or scalar
        return clean_json(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any) -> str:
    """Strict JSON text (no NaN) of ``value``."""
    return json.dumps(clean_json(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def pseudonym_problem(text: str) -> str | None:
    """What is wrong with ``text`` (stripped) as a pseudonym, in words, or ``None`` when it will do.

    The one rule for the CLI, the store and the REST API. A pseudonym must
    show at least one character (not only spaces or zero-width ones), hold no
    control characters, and never look like a subject number: ``18`` and
    ``#18`` name subject number 18 (:func:`hiprom.parsing.record_id`), so a
    pseudonym of ASCII digits only, or one starting with ``#``, is refused.
    """
    if not text:
        return "must not be empty"
    if len(text) > PSEUDONYM_MAX:
        return f"at most {PSEUDONYM_MAX} characters, but got {len(text)}"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return f"{text!r} holds control characters"
    if all(c.isspace() or unicodedata.category(c)[0] in "CZ" for c in text):
        return f"{text!r} shows no character (only spaces or invisible ones); use letters or digits, such as P-0042"
    if text.isascii() and text.isdigit():
        return f"{text!r} is only digits, which names subject number {text}; add a letter, such as P-{text}"
    if text.startswith("#"):
        return f"{text!r} starts with '#', which marks a subject number; leave the '#' off"
    return None


def check_pseudonym(pseudonym: str) -> str:
    """The pseudonym stripped; ``InputError`` saying what is wrong (:func:`pseudonym_problem`)."""
    text = str(pseudonym).strip()
    problem = pseudonym_problem(text)
    if problem is not None:
        raise InputError(f"pseudonym: {problem}")
    return check_text(text, "pseudonym")


def optional_text(value: Any, what: str = "text") -> str | None:
    """Stripped text or ``None`` (for nothing, or only spaces); ``InputError`` naming ``what`` when it is
    not valid Unicode."""
    if value is None:
        return None
    text = check_text(str(value).strip(), what)
    return text or None


def parse_date_of_birth(value: date | str | None) -> date | None:
    """A birth date from a ``date`` or ``YYYY-MM-DD``; ``InputError`` if malformed or in the future
    (after today on the clinic's clock, :func:`local_day`: a baby born this morning in Sydney is
    born "tomorrow" in UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"date of birth: {value!r} is not a date; use YYYY-MM-DD") from None
    if value > local_day(datetime.now(timezone.utc).replace(tzinfo=None)):
        raise InputError(f"date of birth: {value.isoformat()} is in the future")
    return value


VISIT_TIME_FORMS = "YYYY-MM-DD or 'YYYY-MM-DD HH:MM' on this computer's clock"


def parse_visit_time(value: str) -> datetime:
    """When a visit took place, as a person types it: the naive UTC datetime.

    ``2026-03-02 10:30`` (or ``T10:30``) is on the clock of the computer hiprom
    runs on (:func:`local_time`), as every time hiprom shows; a day alone is its
    midday; a time with ``Z`` or an offset is that instant. ``InputError`` when
    it is not a time, or is later than now: a test cannot have taken place then.
    """
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"recorded: {value!r} is not a date or time; use {VISIT_TIME_FORMS}") from None
    if len(text) == len("2026-03-02"):
        dt = dt.replace(hour=12)
    try:
        utc = (dt if dt.tzinfo else dt.astimezone()).astimezone(timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        raise InputError(f"recorded: {value!r} is out of range; use {VISIT_TIME_FORMS}") from None
    if utc > utc_now() + timedelta(minutes=1):
        raise InputError(f"recorded: {shown_time(utc)} is later than now on this computer's clock; "
                         "give the day the test took place (or set the clock right)")
    return utc


def parse_utc(value: Any) -> datetime | None:
    """A naive UTC datetime from an ISO string (``...Z`` or with offset); ``None`` if absent or bad."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str) and value.strip():
        return parse_iso_utc(value)
    else:
        return None
    if dt.tzinfo is not None:
        try:
            dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            return None
    return dt


def iso_utc(dt: datetime | None) -> str | None:
    """``2026-11-21T21:00:00Z`` from a naive UTC datetime."""
    return None if dt is None else dt.replace(microsecond=0).isoformat() + "Z"


def local_time(utc: datetime | str) -> datetime:
    """The aware datetime, on the clock of the computer hiprom runs on, of a naive UTC datetime (or ISO text)."""
    dt = parse_utc(utc) if isinstance(utc, str) else utc
    if dt is None:
        raise ValueError(f"not a time: {utc!r}")
    return dt.replace(tzinfo=timezone.utc).astimezone()


def local_day(utc: datetime | str) -> date:
    """The calendar day, where hiprom runs, of a naive UTC datetime (or ISO text): the day of a visit.

    A visit is one day on the clinic's clock; its UTC date changes in the
    middle of a morning in Sydney or an evening in New York.
    """
    return local_time(utc).date()


def shown_time(utc: datetime | str | None, *, with_time: bool = True) -> str | None:
    """A stored time as a person reads it, on the clinic's clock: ``2026-03-02 10:30 AEDT``, or ``2026-03-02``.

    The one formatter of every time the CLI tables and the PDFs show, so a
    listed date is the visit's day (:func:`local_day`). A time carries its
    zone (the date alone is the clinic's day and needs none). Data (JSON, the
    API, the CSV ``recorded_utc`` column) keep ISO 8601 instants in UTC
    (:func:`iso_utc`). ``None`` when ``utc`` is missing or not a time.
    """
    dt = parse_utc(utc)
    if dt is None:
        return None
    local = local_time(dt)
    if not with_time:
        return local.date().isoformat()
    return f"{local:%Y-%m-%d %H:%M} {_zone(local)}"


def _zone(local: datetime) -> str:
    """The zone of an aware time as printed: its abbreviation (AEDT, CET, UTC), else its offset (``UTC+05:30``).

    Some zones have only a number for a name (``-03``) and Windows gives long
    names ("W. Europe Standard Time"); the offset says the same, shorter.
    """
    name = local.tzname() or ""
    if name.isascii() and name.isalpha() and len(name) <= 5:
        return name
    minutes = round((local.utcoffset() or timedelta(0)) / timedelta(minutes=1))
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_midnight_utc(day: date) -> datetime:
    """The naive UTC datetime at which ``day`` begins where hiprom runs: the bound of a ``--since``/``--until`` day."""
    return datetime.combine(day, datetime.min.time()).astimezone(timezone.utc).replace(tzinfo=None)


def utc_now() -> datetime:
    """Now, as the naive UTC datetime the tables hold."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class SubjectRecord:
    """A subject as stored.

    Attributes:
        id: the store's number for the subject.
        pseudonym: the subject's code, unique in the store (what reports show first).
        name, date_of_birth (ISO date), notes: optional, as the user typed them.
        created_utc: ISO time the subject was added.
        n_sessions: number of sessions stored for the subject.
        last_session_utc: ISO time the subject's latest session was recorded (None when it has none): whom a
            clinic has not seen for a while, as its list shows it.
    """

    id: int
    pseudonym: str
    name: str | None
    date_of_birth: str | None
    notes: str | None
    created_utc: str
    n_sessions: int = 0
    last_session_utc: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of the fields."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class SessionBase:
    """A session's own fields, the one definition its forms derive from.

    ``SessionRecord`` (the store's) adds the id and the analysis; the REST
    API's ``SessionPublic`` adds its links; the table (``schema.SessionRow``)
    has a column for each field but the derived ones (``subject``,
    ``n_trials``, ``has_landmarks``, ``settings``). Angles in degrees;
    ``None`` means not measurable. ``asymmetry_arc_deg`` is left minus right
    total arc; ``asymmetry_verdict`` the whole test's left/right verdict
    (``hiprom.assessment.summary.overall_verdict``: ``exceeds``,
    ``inconclusive``, ``within`` or ``None``). ``recording_sha256`` is the
    fingerprint of the recording analysed (the video file's SHA-256, else the
    landmarks'; ``None`` for a session an older hiprom analysed): two sessions
    sharing it are one measurement, never a re-test of each other.
    ``origin`` is the export file the session was imported from (``hiprom
    store import``: a patient's self-test at home, another clinic's test), or
    ``None`` for a test stored here.
    """

    subject_id: int | None
    subject: str | None
    recorded_utc: str
    saved_utc: str
    operator: str | None
    notes: str | None
    source: str | None
    recording_sha256: str | None
    camera: str | None
    model: str | None
    fps: float | None
    frames: int | None
    duration_s: float | None
    mirrored: bool
    hiprom_version: str | None
    norm_deg: float | None
    measurable: bool
    not_measurable_reason: str | None
    left_ir_deg: float | None
    left_er_deg: float | None
    left_arc_deg: float | None
    right_ir_deg: float | None
    right_er_deg: float | None
    right_arc_deg: float | None
    asymmetry_arc_deg: float | None
    asymmetry_flagged: bool
    asymmetry_verdict: str | None = None
    origin: str | None = None
    n_trials: int = 0
    has_landmarks: bool = False
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionFigures:
    """A session's four rotation figures with whose and when they are (degrees; ``None`` = not measured).

    What re-test pairing, the clinic's MDC and ``hiprom validate`` read of
    sessions: :meth:`hiprom.store.Store.figures` (and, of the sessions a
    re-test can be made of, ``Store.retest_figures``) reads these columns
    alone, so a clinic's years of sessions are read in a moment.
    """

    id: int
    subject: str | None
    recorded_utc: str
    left_ir_deg: float | None
    left_er_deg: float | None
    right_ir_deg: float | None
    right_er_deg: float | None
    exercised: bool = False
    """Exercises were counted with the session, so a test after it is no repeat of it."""
    recording_sha256: str | None = None
    """The fingerprint of the recording analysed (``SessionBase.recording_sha256``)."""


SESSION_DERIVED: tuple[str, ...] = ("subject", "n_trials", "has_landmarks", "settings")
"""Fields of ``SessionBase`` that are not table columns (joined, counted or decoded)."""


@dataclass(frozen=True, kw_only=True)
class SessionRecord(SessionBase):
    """A session as stored; ``analysis`` is filled only when asked for (``Store.session``)."""

    id: int
    analysis: dict[str, Any] | None = None

    def to_dict(self, with_analysis: bool = True) -> dict[str, Any]:
        """Plain JSON-ready dict; ``with_analysis=False`` leaves the (large) analysis out."""
        out = dataclasses.asdict(self)
        if not with_analysis:
            out.pop("analysis")
        return out
