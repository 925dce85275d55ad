"""REST endpoints of reference readings and the validation figures built from them.

Mounted beside :mod:`hiprom.server.routes.records` (same store, same error
statuses: unknown id 404, bad input 422, store unreachable 503). The page's
"your instrument's readings" form posts to ``/api/sessions/{id}/references``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from hiprom.errors import NotMeasurableError
from hiprom.server.deps import PaperDep
from hiprom.server.errors import responses
from hiprom.server.rendering import while_connected
from hiprom.server.routes.records import IsoDate, StoreDep, _http_errors
from hiprom.store import INSTRUMENTS, ReferenceInput, ReferenceRecord, Store

router = APIRouter(prefix="/api", tags=["references"], responses=responses(503))
log = logging.getLogger("hiprom.server")

MAX_CSV_CHARS = 2_000_000
"""Largest CSV import accepted (about 20 000 rows)."""
CSV_TYPES = frozenset({"text/csv", "application/csv"})
"""Content types of a CSV import. Not text/plain: a form of any web site can post that, without asking."""
NOT_CSV = "the request body is not sent as CSV: send the CSV file with Content-Type: text/csv"


class ReferenceCreate(BaseModel):
    """One reading of the clinic's own instrument for a session (degrees; any subset of the four angles)."""

    instrument: Literal["goniometer", "inclinometer", "other"]
    rater: str | None = Field(None, max_length=200)
    left_ir_deg: float | None = None
    left_er_deg: float | None = None
    right_ir_deg: float | None = None
    right_er_deg: float | None = None
    notes: str | None = Field(None, max_length=2000)


class ReferenceDeleted(BaseModel):
    deleted: int


InstrumentFilter = Annotated[str | None, Query(description="only readings of this instrument",
                                              json_schema_extra={"enum": list(INSTRUMENTS)})]
"""An instrument to filter by; checked by the store's one rule (``check_instrument``), listed in the description."""

ReferencePublic = ReferenceRecord
"""The API form of a stored reading is the store's record itself (one definition of its fields)."""


@router.get("/sessions/{session_id}/references", response_model=list[ReferencePublic], responses=responses(404, 422))
def list_session_references(session_id: int, store: StoreDep) -> list[dict[str, Any]]:
    """The reference readings stored with a session."""
    with _http_errors():
        return [r.to_dict() for r in store.references(session_id)]


@router.post("/sessions/{session_id}/references", response_model=ReferencePublic, status_code=201,
             responses=responses(400, 404, 413, 422))
def add_session_reference(session_id: int, body: ReferenceCreate, store: StoreDep) -> dict[str, Any]:
    """Store one reading of the clinic's own instrument beside a session."""
    with _http_errors():
        return store.add_reference(session_id, ReferenceInput(**body.model_dump())).to_dict()


@router.get("/references", response_model=list[ReferencePublic], responses=responses(404, 422))
def list_references(store: StoreDep, subject: str | None = None, since: IsoDate | None = None,
                    until: IsoDate | None = None, instrument: InstrumentFilter = None,
                    rater: str | None = None) -> list[dict[str, Any]]:
    """Every stored reading, oldest session first, filtered like ``hiprom validate``."""
    with _http_errors():
        rows = store.references(subject=subject, since=since, until=until, instrument=instrument, rater=rater)
    return [r.to_dict() for r in rows]


@router.post("/references/import", response_model=list[ReferencePublic], status_code=201,
             responses=responses(400, 404, 409, 413, 422))
def import_references(request: Request, store: StoreDep,
                      csv_text: Annotated[str, Body(media_type="text/csv", max_length=MAX_CSV_CHARS)],
                      day_first: bool | None = None) -> list[dict[str, Any]]:
    """Store every reading of a CSV (``text/csv`` body); 422 naming each bad row, and nothing stored, if any is bad.

    ``day_first`` says how to read dates such as 03/02/2026 when the file's other dates do not. Another
    content type is a 400: a ``text/plain`` body is what another site's form can post (docs/server.md).
    """
    from hiprom.store.reference_csv import import_reference_csv

    if request.headers.get("content-type", "").split(";")[0].strip().lower() not in CSV_TYPES:
        raise HTTPException(400, NOT_CSV)

    with _http_errors():
        return [r.to_dict() for r in import_reference_csv(store, csv_text, where="CSV", day_first=day_first)]


@router.delete("/references/{reference_id:int}", response_model=ReferenceDeleted, responses=responses(404, 422))
def delete_reference(reference_id: int, store: StoreDep) -> dict[str, Any]:
    """Delete one reading."""
    with _http_errors():
        store.delete_reference(reference_id)
    return {"deleted": reference_id}


TODO_ON_THE_PAGE = {
    "agreement": "store your instrument's readings of more saved tests, with Add your instrument's readings",
    "retest": "save two tests of a person on the same day",
}
"""What to do about too few pairs, as the page's answer says it (it has no terminal for 'hiprom sessions reference')."""

TODO_BY_THE_API = {
    "agreement": "store your instrument's readings of more saved tests: POST /api/sessions/{id}/references, or a "
                 "CSV to /api/references/import",
    "retest": "save two tests of a person on the same day: POST /api/sessions",
}
"""What to do about too few pairs, as ``/api/validation``'s 409 says it: a script reads it, which has neither the
page's form nor a terminal (the page asks ``/api/validation/ready``, and opens the PDF only once it is)."""


@dataclass(frozen=True)
class StudyFilters:
    """Which stored pairs a study takes (``hiprom validate``'s options): all of them by default."""

    retest: bool = False
    subject: str | None = None
    since: date | None = None
    until: date | None = None
    instrument: str | None = None
    rater: str | None = None


def study_filters(retest: bool = False, subject: str | None = None, since: IsoDate | None = None,
                  until: IsoDate | None = None, instrument: InstrumentFilter = None,
                  rater: str | None = None) -> StudyFilters:
    """The query of ``/api/validation`` and its PDF, as ``hiprom validate``'s options."""
    return StudyFilters(retest, subject, since, until, instrument, rater)


StudyDep = Annotated[StudyFilters, Depends(study_filters)]


def _pairs(store: Store, chosen: StudyFilters) -> tuple[list[Any], list[dict[str, str]], str]:
    """The stored pairs ``chosen`` (and the readings left unpaired), and the study's kind."""
    from hiprom.validation import stored_readings, stored_retest_pairs

    with _http_errors():
        if chosen.retest:
            pairs = stored_retest_pairs(store, subject=chosen.subject, since=chosen.since, until=chosen.until)
            return pairs, [], "retest"
        pairs, unpaired = stored_readings(store, subject=chosen.subject, since=chosen.since, until=chosen.until,
                                          instrument=chosen.instrument, rater=chosen.rater)
    return pairs, unpaired, "agreement"


def _study(store: Store, chosen: StudyFilters, todo: dict[str, str]) -> dict[str, Any]:
    """The ``hiprom.validation/1`` figures over the stored pairs ``chosen``; 409 with too few pairs, saying what to
    do as ``todo`` words it (:data:`TODO_BY_THE_API` or :data:`TODO_ON_THE_PAGE`)."""
    from hiprom.validation import summarize

    pairs, unpaired, kind = _pairs(store, chosen)
    filters = {name: value.isoformat() if isinstance(value, date) else value
               for name, value in asdict(chosen).items() if name != "retest"}
    with _http_errors():
        try:
            return summarize(pairs, kind, filters, store.where, unpaired, todo=todo)
        except NotMeasurableError as exc:
            raise HTTPException(409, str(exc)) from None


@router.get("/validation", responses=responses(404, 409, 422))
def validation(store: StoreDep, chosen: StudyDep) -> dict[str, Any]:
    """The figures of ``hiprom validate`` (``hiprom.validation/1``) over the stored pairs; 409 with too few pairs."""
    return _study(store, chosen, TODO_BY_THE_API)


@router.get("/validation/ready", responses=responses(404, 422))
def validation_ready(store: StoreDep, chosen: StudyDep) -> dict[str, Any]:
    """Whether ``/api/validation`` and its PDF have pairs enough for ``chosen``: ``{"ready": true, "detail": null,
    "pairs": n}``, or ``false`` with the sentence of their 409 (how many pairs there are and are needed). The page
    asks this before it links the report: a 409 is an error in the browser's console, and too few pairs is no
    error; ``pairs`` tells it whether one rater's report would be other than the instrument's."""
    from hiprom.validation.study import shortfall

    pairs, _, kind = _pairs(store, chosen)
    short = shortfall(pairs, kind, TODO_ON_THE_PAGE)  # the rule and words of the 409, without the figures
    return {"ready": short is None, "detail": short, "pairs": len(pairs)}


@router.get("/validation.pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
          "description": "The validation report (inline; ?download=1 as an attachment)."},
    **responses(404, 409, 422, 501)})
async def validation_report(request: Request, store: StoreDep, chosen: StudyDep, paper: PaperDep,
                            download: bool = False) -> Response:
    """The PDF of ``hiprom validate -o`` over the same pairs as ``/api/validation`` (``?paper=``, else the
    server's), so a clinic on a tablet has its agreement report too; 409 with too few pairs. Made as a
    session's report is (:func:`hiprom.server.rendering.while_connected`), so a client that leaves stops it."""
    from hiprom.validation.pdf import render_pdf

    def render(cancelled: Callable[[], bool]) -> bytes:
        study = _study(store, chosen, TODO_ON_THE_PAGE)
        with _http_errors():
            return render_pdf(study, paper=paper, cancelled=cancelled)

    pdf = await while_connected(request, render)
    if pdf is None:
        log.info("stopped making the %s report: the client has gone", "re-test" if chosen.retest else "agreement")
        return Response(status_code=204)
    name = "hiprom-retest.pdf" if chosen.retest else "hiprom-agreement.pdf"
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'{"attachment" if download else "inline"}; filename="{name}"'})
