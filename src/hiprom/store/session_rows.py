"""How a session is laid out in the tables: an analysis into rows, rows back into a record.

The summary figures, trials, per-frame series (gzip-compressed JSON) and kept
landmarks of a session each have their table (:mod:`hiprom.store.schema`);
this module is the one mapping between those rows and the plain
:class:`~hiprom.store.records.SessionRecord` the store hands out.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import defer

from hiprom.errors import StoreError
from hiprom.landmarks import SIDES
from hiprom.rounding import number
from hiprom.store.records import SESSION_DERIVED, SessionBase, SessionRecord, dumps, iso_utc, optional_text
from hiprom.store.schema import LandmarksRow, SeriesRow, SessionRow, SubjectRow, TrialRow

SERIES_ENCODING = "json+gzip"
LANDMARKS_FORMAT = "hiprom.landmarks/1"

SUMMARY_COLUMNS: dict[str, tuple[str, str]] = {
    f"{side}_{short}_deg": (side, name)
    for side in SIDES
    for short, name in (("ir", "internal_rotation_deg"), ("er", "external_rotation_deg"), ("arc", "total_arc_deg"))
}
"""ORM column -> (side, field of ``analysis["sides"][side]``) for the summary figures."""


def listing() -> Select:
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


def session_record(row: SessionRow, n_trials: int | None, has_landmarks: bool | None, pseudonym: str | None,
                   analysis: dict[str, Any] | None = None) -> SessionRecord:
    """The record of a session row, with what :func:`listing` joins to it (and its analysis, if read)."""
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


def trial_rows(session_id: int, trials: list[dict[str, Any]]) -> list[TrialRow]:
    """The rows of an analysis's ``trials``, in their order."""
    return [
        TrialRow(
            session_id=session_id,
            position=i,
            side=str(t.get("side", "")),
            direction=str(t.get("direction", "")),
            peak_deg=number(t.get("peak_deg")),
            peak_unc_deg=number(t.get("peak_unc_deg")),
            peak_t_s=number(t.get("peak_t_s")),
            start_s=number(t.get("start_s")),
            end_s=number(t.get("end_s")),
            hold_s=number(t.get("hold_s")),
            valid=bool(t.get("valid", False)),
            flags_json=dumps(list(t.get("flags") or [])),
            method=optional_text(t.get("method")),
        )
        for i, t in enumerate(trials)
    ]


def decode_series(row: SeriesRow) -> dict[str, Any]:
    """The per-frame series (``analysis["series"]``) kept in ``row``."""
    if row.encoding != SERIES_ENCODING:
        raise StoreError(f"session {row.session_id}: series stored as {row.encoding!r}, "
                         f"expecting {SERIES_ENCODING!r}; upgrade hiprom")
    return json.loads(gzip.decompress(row.data).decode("utf-8"))


def encode_series(series: dict[str, Any]) -> bytes:
    """What :func:`decode_series` reads back: the series as gzip-compressed JSON (about a tenth of its text)."""
    return gzip.compress(dumps(series).encode("utf-8"), compresslevel=6, mtime=0)


def landmark_bytes(landmarks: Any) -> bytes | None:
    """``.npz`` bytes of a ``LandmarkRecording`` (or the bytes as given)."""
    if landmarks is None or isinstance(landmarks, (bytes, bytearray)):
        return None if landmarks is None else bytes(landmarks)
    with tempfile.TemporaryDirectory(prefix="hiprom-") as tmp:
        path = Path(tmp) / "session.landmarks.npz"
        landmarks.save(path)
        return path.read_bytes()


def whole(value: Any) -> int | None:
    """``value`` as an int (truncated), or ``None`` as :func:`hiprom.rounding.number` gives it."""
    x = number(value)
    return None if x is None else int(x)
