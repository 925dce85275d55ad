"""REST endpoints of the records store: subjects, sessions, exports and the PDF report.

Mounted by ``create_app`` as is (paths start with ``/api``). The store comes
from ``request.app.state.store`` through :data:`StoreDep`, so a test or the
app factory decides which database is used. Handlers are plain functions:
FastAPI runs them in its thread pool, so database work and PDF rendering
never block the event loop.

Errors (all ``{"detail": "one sentence"}``, listed per route in the OpenAPI
description): unknown id -> 404; bad input (an analysis that does not follow
``hiprom.analysis/1``, more than 1000 trials, a malformed birth date) -> 422
naming the field; a pseudonym already taken -> 409; a body over the server's
limit -> 413; the store unreachable -> 503; PDF rendering not installed -> 501.

The PDF report is rendered as every PDF a request asks for
(:func:`hiprom.server.rendering.while_connected`): in a worker thread, at most
two at a time, and stopped at its next stage when the client goes away.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from hiprom.assessment.schema import Analysis
from hiprom.errors import HipromError, InputError, StoreError
from hiprom.server.deps import PaperDep
from hiprom.server.errors import responses
from hiprom.server.rendering import while_connected
from hiprom.store import RecordExists, RecordNotFound, Store
from hiprom.store.records import PSEUDONYM_MAX, SessionBase, pseudonym_problem
from hiprom.store.subjects import SubjectOrder
from hiprom.tables import CsvStyleName

router = APIRouter(prefix="/api", tags=["records"], responses=responses(503))
log = logging.getLogger("hiprom.server")


def get_store(request: Request) -> Store:
    """The app's store (``app.state.store``); 503 when the server has none."""
    store = getattr(request.app.state, "store", None)
    if store is None:
        raise HTTPException(503, "this server has no records store")
    return store


StoreDep = Annotated[Store, Depends(get_store)]


@contextlib.contextmanager
def _http_errors() -> Iterator[None]:
    """Turn hiprom errors into HTTP statuses with the one-line message as detail (a record's finding in its
    API form: the route to call, not the command to type)."""
    try:
        yield
    except RecordNotFound as exc:
        raise HTTPException(404, exc.api) from None
    except RecordExists as exc:
        raise HTTPException(409, exc.api) from None
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except StoreError as exc:
        raise HTTPException(503, str(exc)) from None
    except HipromError as exc:
        raise HTTPException(501, str(exc)) from None


# -- schemas (one per direction) ------------------------------------------------


def _iso_date_text(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text), WithJsonSchema({"type": "string", "format": "date"})]
"""A date given as ``YYYY-MM-DD`` only (pydantic alone would read ``0`` as 1970-01-01)."""

def _pseudonym(value: str) -> str:
    """The store's one pseudonym rule, as a pydantic check: its plain sentence, never a regular expression."""
    problem = pseudonym_problem(value.strip())
    if problem is not None:
        raise ValueError(problem)
    return value


Pseudonym = Annotated[str, StringConstraints(max_length=PSEUDONYM_MAX), AfterValidator(_pseudonym)]
"""A subject's pseudonym: shows a character, no control characters, not a number form (``18``, ``#18``)."""

PSEUDONYM_RULE = ("shows a character, no control characters, not digits only and not starting with '#' "
                  "(those name a subject number)")

SubjectRef = Annotated[str, StringConstraints(max_length=PSEUDONYM_MAX)]
"""A subject named by pseudonym or by number (``12`` or ``#12``), as the store resolves it."""


class SubjectCreate(BaseModel):
    """A new subject; a pseudonym like ``S-3F9A1C`` is made when none is given."""

    pseudonym: Pseudonym | None = Field(None, description=PSEUDONYM_RULE)
    name: str | None = Field(None, max_length=200)
    date_of_birth: Annotated[str, AfterValidator(_iso_date_text)] | None = Field(
        None, examples=["1984-05-17"], description="YYYY-MM-DD, not in the future",
        json_schema_extra={"format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
    notes: str | None = Field(None, max_length=20_000)


class SubjectPublic(BaseModel):
    id: int
    pseudonym: str
    name: str | None
    date_of_birth: str | None
    notes: str | None
    created_utc: str
    n_sessions: int
    last_session_utc: str | None = Field(None, description="when the latest session was recorded (ISO 8601 UTC); "
                                         "null when there is none")


class SessionCreate(BaseModel):
    """A session from an analysis (``hiprom.analysis/1``, as ``/api/results/{id}`` returns it)."""

    model_config = ConfigDict(strict=True)

    analysis: Analysis
    subject: SubjectRef | None = Field(None, description=(
        "pseudonym (added if new) or number (12 or #12; 404 if there is none)"))
    operator: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=20_000)
    camera: str | None = Field(None, max_length=200)
    settings: dict[str, Any] | None = None
    result_id: str | None = Field(
        None, max_length=64, description=(
            "the finished guided test the analysis came from: its landmarks are kept too while the server holds "
            "it (one of before a restart is stored without them); a test saved before answers 200")
    )


@dataclass(frozen=True, kw_only=True)
class SessionPublic(SessionBase):
    """A session as the API shows it: its fields (``store.SessionBase``) and its links."""

    id: int
    report_url: str
    export_url: str
    csv_url: str


@dataclass(frozen=True, kw_only=True)
class SessionDetail(SessionPublic):
    analysis: dict[str, Any]
    subject_record: SubjectPublic | None


class SubjectDetail(SubjectPublic):
    sessions: list[SessionPublic]


class SubjectDeleted(BaseModel):
    deleted: str
    sessions_deleted: int


class SessionDeleted(BaseModel):
    deleted: int


def _session_public(record: Any) -> dict[str, Any]:
    out = record.to_dict(with_analysis=False)
    out["report_url"] = f"/api/sessions/{record.id}/report.pdf"
    out["export_url"] = f"/api/sessions/{record.id}/export.json"
    out["csv_url"] = f"/api/sessions/{record.id}/export.csv"
    return out


# -- subjects ----------------------------------------------------------------------


PAGE_DEFAULT, PAGE_MAX = 100, 1000
"""Subjects or sessions a list answers with unless asked, and at most: a clinic's 20 000 sessions were 14 MB
and 5 s, its 2 000 subjects 278 kB and 1.5 s."""


def _page_headers(request: Request, response: Response, limit: int, offset: int, shown: int, total: int) -> None:
    """``X-Total-Count``, and a ``Link`` to the next page while there are more."""
    response.headers["X-Total-Count"] = str(total)
    if offset + shown < total:
        following = request.url.include_query_params(limit=limit, offset=offset + shown)
        response.headers["Link"] = f'<{following.path}?{following.query}>; rel="next"'



@router.get("/subjects", response_model=list[SubjectPublic], responses=responses(422))
def list_subjects(store: StoreDep, request: Request, response: Response,
                  find: Annotated[str | None, Query(max_length=200)] = None,
                  limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
                  offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
                  by: Annotated[SubjectOrder, Query(description=(
                      "pseudonym, or last: by the last session, the longest unseen first, "
                      "those with none at the end"))] = "pseudonym") -> list[dict[str, Any]]:
    """One page of subjects, by pseudonym (or, ``?by=last``, by their last session, the longest unseen first);
    with ``find``, of those whose pseudonym or name contains it (case and accents ignored).

    ``X-Total-Count`` says how many there are; a ``Link`` header with ``rel="next"`` gives the next page's
    URL while there are more (as ``GET /api/sessions``).
    """
    with _http_errors():
        rows, total = store.subjects_counted(find, limit=limit, offset=offset, by=by)
    _page_headers(request, response, limit, offset, len(rows), total)
    return [s.to_dict() for s in rows]


@router.post("/subjects", response_model=SubjectPublic, status_code=201, responses=responses(400, 409, 413, 422))
def create_subject(body: SubjectCreate, store: StoreDep) -> dict[str, Any]:
    """Add a subject."""
    with _http_errors():
        return store.add_subject(body.pseudonym, name=body.name, date_of_birth=body.date_of_birth,
                                 notes=body.notes).to_dict()


@router.get("/subjects/{subject}", response_model=SubjectDetail, responses=responses(404))
def show_subject(subject: str, store: StoreDep) -> dict[str, Any]:
    """A subject (by pseudonym or number) with its sessions, newest first."""
    with _http_errors():
        record = store.subject(subject)
        sessions = store.sessions(record.id)
    return {**record.to_dict(), "sessions": [_session_public(s) for s in sessions]}


@router.delete("/subjects/{subject}", response_model=SubjectDeleted, responses=responses(404))
def delete_subject(subject: str, store: StoreDep) -> dict[str, Any]:
    """Delete a subject and all its sessions."""
    with _http_errors():
        record = store.subject(subject)
        n = store.delete_subject(record.id)
    return {"deleted": record.pseudonym, "sessions_deleted": n}


# -- sessions ----------------------------------------------------------------------


@router.get("/sessions", response_model=list[SessionPublic], responses=responses(404, 422))
def list_sessions(store: StoreDep, request: Request, response: Response, subject: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=PAGE_MAX)] = PAGE_DEFAULT,
                  offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0) -> list[dict[str, Any]]:
    """One page of sessions, newest first, of one subject or of all.

    ``X-Total-Count`` says how many there are; a ``Link`` header with
    ``rel="next"`` gives the next page's URL while there are more.
    """
    with _http_errors():
        page = [_session_public(s) for s in store.sessions(subject, limit=limit, offset=offset)]
        # A short page that is not past the end is the last one: it tells the total without counting again.
        total = offset + len(page) if len(page) < limit and (page or offset == 0) else store.n_sessions(subject)
    _page_headers(request, response, limit, offset, len(page), total)
    return page


def _no_such_subject(subject: str) -> str:
    """A subject number that is not stored, in words for the page's Subject field.

    The store's own message names the database file and a CLI command, which
    mean nothing to a person typing ``42`` on the page: it was read as subject
    number 42, and a new pseudonym needs more than digits (the one rule,
    :func:`pseudonym_problem`).
    """
    text = subject.strip()
    return f"subject: there is no subject {text!r}; as a new pseudonym, {pseudonym_problem(text)}"


@router.post("/sessions", response_model=SessionPublic, status_code=201,
             responses={200: {"model": SessionPublic, "description": "This finished test (result_id) was saved "
                              "before: the session it was saved as; nothing is stored twice."},
                        **responses(400, 404, 409, 413, 422)})
def create_session(body: SessionCreate, store: StoreDep, request: Request, response: Response) -> dict[str, Any]:
    """Store an analysis as a session (one transaction), with the guided test's landmarks when named.

    A finished test (``result_id``) is stored once: saving it again answers
    200 with the session it was saved as (its subject and notes as first
    saved), so a second press of Save or a retried request never makes a
    duplicate that would count as a re-test of itself. A test the server no
    longer holds (the page kept it across a restart) is stored without its
    landmarks (``has_landmarks`` false), and stored once all the same.
    """
    results = getattr(request.app.state, "results", None)  # finished guided tests (the live app only)
    rid = body.result_id if results is not None else None
    if body.result_id and rid is None:
        raise HTTPException(404, f"no finished test {body.result_id!r}: this server runs no guided test")
    test = results.get(rid) if rid else None
    with results.saving(rid) if rid else contextlib.nullcontext(), _http_errors():
        earlier = results.saved_session(rid) if rid else None
        if earlier is not None:
            with contextlib.suppress(RecordNotFound):  # deleted since: saved afresh below
                record = store.session(earlier, with_analysis=False)
                response.status_code = 200
                return _session_public(record)
        analysis = body.analysis.model_dump(by_alias=True, exclude_unset=True)  # unknown keys included
        try:
            record = store.save_analysis(analysis, subject=body.subject, operator=body.operator,
                                         notes=body.notes, camera=body.camera, settings=body.settings,
                                         landmarks=test.recording if test is not None else None)
        except RecordNotFound:  # a new pseudonym is added: only a subject number can be missing
            raise HTTPException(404, _no_such_subject(body.subject or "")) from None
        if rid:
            results.mark_saved(rid, record.id)
    return _session_public(record)


@router.get("/sessions/{session_id}", response_model=SessionDetail, responses=responses(404, 422))
def show_session(session_id: int, store: StoreDep) -> dict[str, Any]:
    """A session with its full analysis and its subject."""
    with _http_errors():
        record = store.session(session_id)
        subject = store.subject(record.subject_id) if record.subject_id is not None else None
    return {**_session_public(record), "analysis": record.analysis,
            "subject_record": subject.to_dict() if subject else None}


@router.delete("/sessions/{session_id}", response_model=SessionDeleted, responses=responses(404, 422))
def delete_session(session_id: int, store: StoreDep) -> dict[str, Any]:
    """Delete a session with its trials and series."""
    with _http_errors():
        store.delete_session(session_id)
    return {"deleted": session_id}


@router.get("/sessions/{session_id}/export.json", response_class=Response, responses={
    200: {"content": {"application/json": {"schema": {"type": "object"}}},
          "description": "The JSON export (hiprom.export/1) as a download."},
    **responses(404, 422)})
def export_session_json(session_id: int, store: StoreDep) -> Response:
    """The JSON export of a session (``hiprom.export/1``), as a download."""
    from hiprom.report import ReportData, export_json

    with _http_errors():
        data = ReportData.from_store(store, session_id)
    body = json.dumps(export_json([data]), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers=_attachment(f"hiprom-session-{session_id}.json"))


@router.get("/sessions/{session_id}/export.csv", response_class=Response, responses={
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "One CSV table, as a download."},
    **responses(404, 422)})
def export_session_csv(session_id: int, store: StoreDep,
                       table: Literal["summary", "trials", "series", "exercises"] = "summary",
                       csv_style: Annotated[CsvStyleName, Query(alias="csv-style", description=(
                           "commas (31.5) or semicolons (31,5: what Excel opens by a double-click where the "
                           "decimal mark is a comma), as hiprom's --csv-style"))] = "commas") -> Response:
    """One CSV table of a session (``summary``, ``trials``, ``series`` or ``exercises``), as a download (byte-order
    mark first); ``?csv-style=semicolons`` separates its cells by ``;`` and marks decimals by ``,``."""
    from hiprom.report import ReportData, csv_text
    from hiprom.tables import CSV_STYLES, EXCEL_BOM

    with _http_errors():
        data = ReportData.from_store(store, session_id)
    return Response(EXCEL_BOM + csv_text([data], table, CSV_STYLES[csv_style]), media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"hiprom-session-{session_id}.{table}.csv"))


@router.get("/sessions/{session_id}/report.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The PDF report (inline; ?download=1 as an attachment)."},
    **responses(404, 422, 501)})
async def session_report(session_id: int, request: Request, store: StoreDep, paper: PaperDep,
                         download: bool = False) -> Response:
    """The PDF report of a session (shown in the browser; ``?download=1`` to save it; ``?paper=letter``
    or ``a4``, else the server's setting)."""
    from hiprom.report import ReportData, render_pdf

    def render(cancelled: Callable[[], bool]) -> bytes:
        with _http_errors():
            return render_pdf(ReportData.from_store(store, session_id), cancelled=cancelled, paper=paper)

    pdf = await while_connected(request, render)
    if pdf is None:
        log.info("stopped rendering the report of session %d: the client has gone", session_id)
        return Response(status_code=204)  # nobody reads it; sent only if the socket still takes it
    disposition = "attachment" if download else "inline"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="hiprom-session-{session_id}.pdf"'})


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}
