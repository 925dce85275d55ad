"""REST endpoints of the records store: subjects, sessions, exports and the PDF report.

Mounted by ``create_app`` as is (paths start with ``/api``). The store comes
from ``request.app.state.store`` through :data:`StoreDep`, so a test or the
app factory decides which database is used. Handlers are plain functions:
FastAPI runs them in its thread pool, so database work and PDF rendering
never block the event loop.

Errors: unknown id -> 404; bad input (not an analysis, a malformed birth
date) -> 422; a pseudonym already taken -> 409; the store unreachable -> 503;
PDF rendering not installed -> 501.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from hiprom.errors import HipromError, InputError, StoreError
from hiprom.store import RecordNotFound, Store
from hiprom.store.records import SessionBase

router = APIRouter(prefix="/api", tags=["records"])


def get_store(request: Request) -> Store:
    """The app's store (``app.state.store``); 503 when the server has none."""
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(503, "this server has no records store")
    return store


StoreDep = Annotated[Store, Depends(get_store)]


@contextlib.contextmanager
def _http_errors() -> Iterator[None]:
    """Turn hiprom errors into HTTP statuses with the one-line message as detail."""
    try:
        yield
    except RecordNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except StoreError as exc:
        raise HTTPException(409 if "already exists" in str(exc) else 503, str(exc)) from None
    except HipromError as exc:
        raise HTTPException(501, str(exc)) from None


# -- schemas (one per direction) ------------------------------------------------


class SubjectCreate(BaseModel):
    """A new subject; a pseudonym like ``S-3F9A1C`` is made when none is given."""

    pseudonym: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=200)
    date_of_birth: date | None = None
    notes: str | None = Field(None, max_length=20_000)


class SubjectPublic(BaseModel):
    id: int
    pseudonym: str
    name: str | None
    date_of_birth: str | None
    notes: str | None
    created_utc: str
    n_sessions: int


class SessionCreate(BaseModel):
    """A session from an analysis (``hiprom.analysis/1``, as ``/api/results/{id}`` returns it)."""

    analysis: dict[str, Any]
    subject: str | None = Field(None, max_length=64, description="pseudonym (added if new) or number")
    operator: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=20_000)
    camera: str | None = Field(None, max_length=200)
    settings: dict[str, Any] | None = None
    result_id: str | None = Field(
        None, max_length=64, description="the finished guided test the analysis came from: its landmarks are kept too"
    )


@dataclass(frozen=True, kw_only=True)
class SessionPublic(SessionBase):
    """A session as the API shows it: its fields (``store.SessionBase``) and its links."""

    id: int
    report_url: str
    export_url: str


@dataclass(frozen=True, kw_only=True)
class SessionDetail(SessionPublic):
    analysis: dict[str, Any]
    subject_record: SubjectPublic | None


class SubjectDetail(SubjectPublic):
    sessions: list[SessionPublic]


def _session_public(record: Any) -> dict[str, Any]:
    out = record.to_dict(with_analysis=False)
    out["report_url"] = f"/api/sessions/{record.id}/report.pdf"
    out["export_url"] = f"/api/sessions/{record.id}/export.json"
    return out


# -- subjects ----------------------------------------------------------------------


@router.get("/subjects", response_model=list[SubjectPublic])
def list_subjects(store: StoreDep) -> list[dict[str, Any]]:
    """Every subject, by pseudonym."""
    with _http_errors():
        return [s.to_dict() for s in store.subjects()]


@router.post("/subjects", response_model=SubjectPublic, status_code=201)
def create_subject(body: SubjectCreate, store: StoreDep) -> dict[str, Any]:
    """Add a subject."""
    with _http_errors():
        return store.add_subject(body.pseudonym, name=body.name, date_of_birth=body.date_of_birth,
                                 notes=body.notes).to_dict()


@router.get("/subjects/{subject}", response_model=SubjectDetail)
def show_subject(subject: str, store: StoreDep) -> dict[str, Any]:
    """A subject (by pseudonym or number) with its sessions, newest first."""
    with _http_errors():
        record = store.subject(subject)
        sessions = store.sessions(record.id)
    return {**record.to_dict(), "sessions": [_session_public(s) for s in sessions]}


@router.delete("/subjects/{subject}")
def delete_subject(subject: str, store: StoreDep) -> dict[str, Any]:
    """Delete a subject and all its sessions."""
    with _http_errors():
        record = store.subject(subject)
        n = store.delete_subject(record.id)
    return {"deleted": record.pseudonym, "sessions_deleted": n}


# -- sessions ----------------------------------------------------------------------


@router.get("/sessions", response_model=list[SessionPublic])
def list_sessions(store: StoreDep, subject: str | None = None,
                  limit: Annotated[int | None, Query(ge=1, le=10_000)] = None) -> list[dict[str, Any]]:
    """Sessions, newest first, of one subject or of all."""
    with _http_errors():
        return [_session_public(s) for s in store.sessions(subject, limit=limit)]


@router.post("/sessions", response_model=SessionPublic, status_code=201)
def create_session(body: SessionCreate, store: StoreDep, request: Request) -> dict[str, Any]:
    """Store an analysis as a session (one transaction), with the guided test's landmarks when named."""
    results = getattr(request.app.state, "results", None)  # finished guided tests (the live app only)
    test = results.get(body.result_id) if body.result_id and results is not None else None
    if body.result_id and test is None:
        raise HTTPException(404, f"no finished test {body.result_id!r} (results are kept in memory until the server stops)")
    with _http_errors():
        record = store.save_analysis(body.analysis, subject=body.subject, operator=body.operator,
                                     notes=body.notes, camera=body.camera, settings=body.settings,
                                     landmarks=test.recording if test is not None else None)
    return _session_public(record)


@router.get("/sessions/{session_id}", response_model=SessionDetail)
def show_session(session_id: int, store: StoreDep) -> dict[str, Any]:
    """A session with its full analysis and its subject."""
    with _http_errors():
        record = store.session(session_id)
        subject = store.subject(record.subject_id) if record.subject_id is not None else None
    return {**_session_public(record), "analysis": record.analysis,
            "subject_record": subject.to_dict() if subject else None}


@router.delete("/sessions/{session_id}")
def delete_session(session_id: int, store: StoreDep) -> dict[str, Any]:
    """Delete a session with its trials and series."""
    with _http_errors():
        store.delete_session(session_id)
    return {"deleted": session_id}


@router.get("/sessions/{session_id}/export.json")
def export_session_json(session_id: int, store: StoreDep) -> Response:
    """The JSON export of a session (``hiprom.export/1``), as a download."""
    from hiprom.report import ReportData, export_json

    with _http_errors():
        data = ReportData.from_store(store, session_id)
    body = json.dumps(export_json([data]), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers=_attachment(f"hiprom-session-{session_id}.json"))


@router.get("/sessions/{session_id}/export.csv")
def export_session_csv(session_id: int, store: StoreDep,
                       table: Literal["summary", "trials", "series"] = "summary") -> Response:
    """One CSV table of a session (``summary``, ``trials`` or ``series``), as a download."""
    from hiprom.report import ReportData, csv_text

    with _http_errors():
        data = ReportData.from_store(store, session_id)
    return Response(csv_text([data], table), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"hiprom-session-{session_id}.{table}.csv"))


@router.get("/sessions/{session_id}/report.pdf")
def session_report(session_id: int, store: StoreDep, download: bool = False) -> Response:
    """The PDF report of a session (shown in the browser; ``?download=1`` to save it)."""
    from hiprom.report import ReportData, render_pdf

    with _http_errors():
        pdf = render_pdf(ReportData.from_store(store, session_id))
    disposition = "attachment" if download else "inline"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="hiprom-session-{session_id}.pdf"'})


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
