"""Tables of the store (SQLAlchemy 2 ORM), at the current schema version.

A subject has sessions; a session has trials, one per-frame series, when
kept one landmark recording, any number of reference readings (a
clinician's own goniometer or inclinometer figures), one home program and
the exercises counted. Deleting a subject deletes its sessions, and deleting
a session deletes its trials, series, landmarks, reference readings, home
program and counted exercises (``ON DELETE CASCADE``). Video is never stored.

Times are naive UTC ``datetime`` values (SQLite has no time zones); the
records in :mod:`hiprom.store.records` turn them into ISO strings ending in Z.
The full analysis (``hiprom.analysis/1`` without its ``series``) is kept as
JSON in ``sessions.analysis_json``; the columns beside it copy the figures a
list or a query needs, so listing never parses JSON.

The numbers users see and write down (subjects, sessions, reference
readings, counted exercises) are never given twice, even after a delete, so
an old report or a CSV of readings can never point at another person:
``AUTOINCREMENT`` on SQLite (:data:`NEVER_REUSED`; schema version 6), a
serial sequence on PostgreSQL, which never goes back.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from hiprom.parsing import folded

SCHEMA_VERSION = 10
"""Version of the tables below; :mod:`hiprom.store.migrations` upgrades older stores."""


NEVER_REUSED = {"sqlite_autoincrement": True}
"""Table options of the tables whose numbers users see: SQLite never gives a deleted row's id again."""


class Base(DeclarativeBase):
    """Declarative base of every hiprom table."""


class SchemaVersionRow(Base):
    """One row per migration applied; the highest ``version`` is the store's."""

    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    applied_utc: Mapped[datetime] = mapped_column(DateTime)
    hiprom_version: Mapped[str] = mapped_column(String(40))


class SubjectRow(Base):
    """A person assessed, known by a pseudonym; name and birth date are optional.

    ``pseudonym_key`` is the pseudonym :func:`~hiprom.parsing.folded` (capitals and accents aside: one
    person), set with it, unique: ``P-0042`` and ``p-0042`` cannot both be stored (schema version 8).
    """

    __tablename__ = "subjects"
    __table_args__ = (Index("ux_subjects_pseudonym_key", "pseudonym_key", unique=True), NEVER_REUSED)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym_key: Mapped[str | None] = mapped_column(Text)  # NULL: refused (SUBJECT_KEY_GUARD)
    name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_utc: Mapped[datetime] = mapped_column(DateTime)

    sessions: Mapped[list[SessionRow]] = relationship(back_populates="subject", passive_deletes=True)

    @validates("pseudonym")
    def _key_with_pseudonym(self, _name: str, pseudonym: str) -> str:
        """Every pseudonym set (a new subject, a rename) sets its key in the same change."""
        self.pseudonym_key = folded(pseudonym)
        return pseudonym


OLDER_HIPROM_REFUSED = ("this store is kept by a newer hiprom (schema version 9 or later), which could not find "
                        "a subject added by this one; upgrade hiprom here too and start it again (nothing was saved)")
"""What a hiprom older than schema version 8, still running when the store was upgraded, is told when it
adds a subject (:data:`SUBJECT_KEY_GUARD`)."""

SUBJECT_KEY_GUARD = {
    "sqlite": (f"CREATE TRIGGER subjects_keyed BEFORE INSERT ON subjects WHEN NEW.pseudonym_key IS NULL "
               f"BEGIN SELECT RAISE(ABORT, '{OLDER_HIPROM_REFUSED}'); END",),
    "postgresql": (f"CREATE OR REPLACE FUNCTION hiprom_subjects_keyed() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN IF NEW.pseudonym_key IS NULL THEN RAISE EXCEPTION '{OLDER_HIPROM_REFUSED}'; END IF; "
                   f"RETURN NEW; END $$",
                   "CREATE TRIGGER subjects_keyed BEFORE INSERT ON subjects FOR EACH ROW "
                   "EXECUTE FUNCTION hiprom_subjects_keyed()"),
}
"""A subject without its ``pseudonym_key`` is refused (schema version 9), per database.

A hiprom of schema version 7 or older that was already running (a clinic's second laptop's server)
when another upgraded the store sets no key: the subject it added could not be found by pseudonym
(``no subject 'P-0050'``), and a visit saved as ``p-0050`` started a second subject for that person.
The column stays nullable for the upgrade to fill; this trigger refuses such a row instead."""

for _dialect, _statements in SUBJECT_KEY_GUARD.items():
    for _statement in _statements:
        event.listen(SubjectRow.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


class SessionRow(Base):
    """One assessment: the analysis of one recording, with who, when and how."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"))
    recorded_utc: Mapped[datetime] = mapped_column(DateTime)
    saved_utc: Mapped[datetime] = mapped_column(DateTime)
    operator: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(500))
    recording_sha256: Mapped[str | None] = mapped_column(String(64))  # schema version 7
    origin: Mapped[str | None] = mapped_column(String(500))  # schema version 10
    camera: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    fps: Mapped[float | None] = mapped_column(Float)
    frames: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    mirrored: Mapped[bool] = mapped_column(Boolean, default=False)
    hiprom_version: Mapped[str | None] = mapped_column(String(40))
    analysis_schema: Mapped[str] = mapped_column(String(40))
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    norms_json: Mapped[str] = mapped_column(Text, default="{}")
    norm_deg: Mapped[float | None] = mapped_column(Float)
    measurable: Mapped[bool] = mapped_column(Boolean, default=True)
    not_measurable_reason: Mapped[str | None] = mapped_column(Text)
    # Summary figures (degrees; None = not measurable), copied from the analysis.
    left_ir_deg: Mapped[float | None] = mapped_column(Float)
    left_er_deg: Mapped[float | None] = mapped_column(Float)
    left_arc_deg: Mapped[float | None] = mapped_column(Float)
    right_ir_deg: Mapped[float | None] = mapped_column(Float)
    right_er_deg: Mapped[float | None] = mapped_column(Float)
    right_arc_deg: Mapped[float | None] = mapped_column(Float)
    asymmetry_arc_deg: Mapped[float | None] = mapped_column(Float)
    asymmetry_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    asymmetry_verdict: Mapped[str | None] = mapped_column(String(12))
    analysis_json: Mapped[str] = mapped_column(Text)

    subject: Mapped[SubjectRow | None] = relationship(back_populates="sessions")
    trials: Mapped[list[TrialRow]] = relationship(
        back_populates="session", order_by="TrialRow.position", passive_deletes=True
    )

    __table_args__ = (Index("ix_sessions_subject_recorded", "subject_id", "recorded_utc"),
                      Index("ix_sessions_recording_sha256", "recording_sha256"),  # schema version 9
                      NEVER_REUSED)


class TrialRow(Base):
    """One trial of a session (a copy of ``analysis["trials"][position]`` for queries)."""

    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(10))
    peak_deg: Mapped[float | None] = mapped_column(Float)
    peak_unc_deg: Mapped[float | None] = mapped_column(Float)
    peak_t_s: Mapped[float | None] = mapped_column(Float)
    start_s: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[float | None] = mapped_column(Float)
    hold_s: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean)
    flags_json: Mapped[str] = mapped_column(Text, default="[]")
    method: Mapped[str | None] = mapped_column(String(20))

    session: Mapped[SessionRow] = relationship(back_populates="trials")


class SeriesRow(Base):
    """The per-frame series of a session: ``analysis["series"]`` as gzip-compressed JSON."""

    __tablename__ = "series"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    encoding: Mapped[str] = mapped_column(String(20))
    n_frames: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class LandmarksRow(Base):
    """Optional: the session's ``.landmarks.npz`` recording (schema version 2)."""

    __tablename__ = "landmarks"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    n_frames: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ReferenceRow(Base):
    """A clinician's own reading of a session's hip rotation with another instrument (schema version 3).

    Angles in degrees as the instrument showed them (internal and external
    rotation per side, any subset); ``None`` = not measured.
    """

    __tablename__ = "reference_readings"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(20))
    rater: Mapped[str | None] = mapped_column(String(200))
    left_ir_deg: Mapped[float | None] = mapped_column(Float)
    left_er_deg: Mapped[float | None] = mapped_column(Float)
    right_ir_deg: Mapped[float | None] = mapped_column(Float)
    right_er_deg: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(Text)
    created_utc: Mapped[datetime] = mapped_column(DateTime)


class HomeProgramRow(Base):
    """The home program a clinician kept for a session (``hiprom.program/1`` JSON; schema version 4)."""

    __tablename__ = "home_programs"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    updated_utc: Mapped[datetime] = mapped_column(DateTime)
    n_items: Mapped[int] = mapped_column(Integer)
    program_json: Mapped[str] = mapped_column(Text)


class ExerciseResultRow(Base):
    """One counted exercise of a session (``hiprom.exercise/1`` JSON; schema version 4)."""

    __tablename__ = "exercise_results"
    __table_args__ = NEVER_REUSED

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    recorded_utc: Mapped[datetime] = mapped_column(DateTime)
    exercise: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(8))
    direction: Mapped[str] = mapped_column(String(10))
    reps_done: Mapped[int] = mapped_column(Integer)
    reps_target: Mapped[int] = mapped_column(Integer)
    result_json: Mapped[str] = mapped_column(Text)
