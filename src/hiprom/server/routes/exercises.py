"""REST endpoints of the exercises: catalogue, home program, counted exercises, re-test, trend.

Mounted with the records router (they need the store, except the catalogue).
Everything the page needs to show suggestions, edit a program, store what the
camera counted and compare a re-test is here; the maths is in
``hiprom.assessment`` (``recommend``, ``check_program``, ``find_reps`` /
``RepCounter``, ``compare``, ``trend``). Errors as in the records router:
unknown id -> 404, bad input -> 422.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hiprom.assessment import check_program, compare, current_program, load_catalogue, trend
from hiprom.assessment.exercises import catalogue_or_none
from hiprom.assessment.retest import retest_heading
from hiprom.report.exercises import clinic_mdc
from hiprom.report.imports import ORIGIN_MAX, ImportClash
from hiprom.server.deps import CatalogueDep, PaperDep
from hiprom.server.errors import responses
from hiprom.server.rendering import while_connected
from hiprom.server.routes.records import StoreDep, _attachment, _http_errors
from hiprom.store import Store

router = APIRouter(prefix="/api", tags=["exercises"], responses=responses(503))
log = logging.getLogger("hiprom.server")


class ProgramIn(BaseModel):
    """A home program as a clinician edited it: what ``GET .../program`` gave, items changed.

    Other fields (``schema``, ``edited``, ``updated_utc``, ``pdf_url``) are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    items: list[dict[str, Any]] = Field(..., max_length=30)
    notes: str | None = Field(None, max_length=1000)
    exercises: list[dict[str, Any]] | None = Field(None, max_length=30)
    """What ``GET`` gave: the definitions of a clinic's own exercises the program carries (``hiprom.program/1``)."""


def _program_out(session_id: int, program: dict[str, Any]) -> dict[str, Any]:
    return {**program, "pdf_url": f"/api/sessions/{session_id}/program.pdf"}


@router.get("/exercises", responses=responses(501))
def list_exercises(catalogue: CatalogueDep) -> dict[str, Any]:
    """The exercise catalogue: ``{"source", "safety", "exercises": [...]}`` (a clinic's file applied), with the
    clinic's own exercises the home program handed over to this store carried (``GET /api/home-program``)."""
    return catalogue.to_dict()


@router.get("/retest.ics", response_class=Response, responses={
    200: {"content": {"text/calendar": {"schema": {"type": "string"}}},
          "description": "A calendar file: one all-day event, 5 weeks from today, to test again."}})
def retest_reminder_file() -> Response:
    """A reminder to test again, as a calendar file any calendar program adds (``hiprom.report.reminder``):
    an all-day event in the middle of the 4–6 weeks the advice says, counted from today on this computer's
    clock, with an alert at 09:00."""
    from hiprom.report.reminder import retest_reminder

    today = date.today()
    return Response(retest_reminder(today), media_type="text/calendar; charset=utf-8",
                    headers=_attachment(f"hiprom-test-again-{today.isoformat()}.ics"))


@router.get("/home-program", responses=responses(422))
def home_program(store: StoreDep) -> dict[str, Any] | None:
    """The home program a clinician handed over to this store (``hiprom program import``), as its printed
    page words it (``report.exercises.program_context``: each item's ``name``, ``side`` and ``dose`` in words,
    with ``side_id`` and ``dose_spec`` to start it), with the ``session_id`` it came with, the clinic's
    ``session_date`` (ISO), the file it came in (``origin``) and what was counted of it lately (``today``,
    ``days_this_week``: :func:`_done_lately`); ``null`` when there is none
    (:meth:`~hiprom.store.Store.handed_program`: a clinic's store never has one)."""
    with _http_errors():
        return _handed(store)


def _handed(store: Store) -> dict[str, Any] | None:
    """``GET /api/home-program``'s answer."""
    from hiprom.report import ReportData
    from hiprom.report.exercises import program_context

    session_id = store.handed_program()
    if session_id is None:
        return None
    data = ReportData.from_store(store, session_id)
    context = program_context(data)
    if context is None:
        return None
    return {**context, "session_id": session_id, "origin": data.session.origin if data.session else None,
            "session_date": data.session_date.isoformat() if data.session_date else None,
            **_done_lately(data.exercise_results)}


def _done_lately(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the patient did of the program, on this computer's clock: ``today``, each exercise and leg counted
    today (:func:`~hiprom.assessment.program.done_by_exercise`), and ``days_this_week``, the days of the last 7
    (today's included) with an exercise counted: the page's checklist of the day."""
    from hiprom.assessment.program import done_by_exercise
    from hiprom.store.records import local_day

    today = date.today()
    days = [local_day(r["recorded_utc"]) for r in records]
    todays = [(r, d) for r, d in zip(records, days) if d == today]
    return {"today": done_by_exercise([r for r, _ in todays], [d for _, d in todays]),
            "days_this_week": len({d for d in days if 0 <= (today - d).days < 7})}


@router.get("/home-program/export.json", response_class=Response, responses={
    200: {"content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}},
          "description": "Every session of this store with its exercises (hiprom.export/1, a list), as a download."},
    **responses(404, 422)})
def export_for_the_clinic(store: StoreDep) -> Response:
    """Everything a patient's own store holds for their clinic in one file: each test saved here and each session a
    program came with, with the exercises done of it (``hiprom.export/1``, a list, oldest first). The clinic's
    ``hiprom store import`` adds what it lacks: the new tests, and the exercises of the sessions it holds. 404 on a
    store that follows no program handed over (a clinic's holds other patients' records)."""
    from hiprom.report import ReportData, export_json

    with _http_errors():
        if store.handed_program() is None:
            raise HTTPException(404, "No home program from a clinic on this computer: the file for your clinic "
                                     "is of a patient's own records.")
        data = [ReportData.from_store(store, record.id) for record in reversed(store.sessions())]
    exported = export_json(data)  # one session alone is an object: the file is a list whatever its length
    body = json.dumps(exported if isinstance(exported, list) else [exported], ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers=_attachment(f"hiprom-for-your-clinic-{date.today().isoformat()}.json"))


HANDED_BODY = {"required": True, "content": {"application/json": {"schema": {
    "description": "the file 'hiprom program export' wrote (hiprom.export/1: one session, or a list of them)",
    "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}}}
"""The body of ``POST /api/home-program`` as the API's description gives it (the route reads it as text)."""


@router.post("/home-program", status_code=201, responses=responses(400, 409, 413, 422),
             openapi_extra={"requestBody": HANDED_BODY})
async def take_in_program(request: Request, store: StoreDep,
                          file: Annotated[str, Query(max_length=ORIGIN_MAX)] = "program.json") -> dict[str, Any]:
    """Take in the home program a clinician handed over, as ``hiprom program import`` does: the body is the file
    ``hiprom program export`` wrote (``application/json``), ``file`` its name (kept as where the sessions came
    from). Answers ``{"program": GET /api/home-program's answer, "sessions": how many were added,
    "followed": whether the page now follows the file's program}`` (``false``: this store follows a newer one,
    or a clinic's programs are kept here). 422 for a file that is not one, 409 for one taken in already."""
    from hiprom.report.handover import take_in
    from hiprom.server.routes.imports import sent_file

    name, content = await sent_file(request, file, "program.json", "the file 'hiprom program export' wrote at the clinic")

    def store_it() -> dict[str, Any]:
        with _http_errors():
            try:
                done = take_in(store, Path(name), content=content)
            except ImportClash as exc:
                raise HTTPException(409, str(exc)) from None
            program = _handed(store)
            return {"program": program, "sessions": len(done.numbers),
                    "followed": program is not None
                    and program["session_id"] in {*done.numbers.values(), *done.already.values()}}

    return await run_in_threadpool(store_it)


@router.get("/sessions/{session_id}/recommendations", responses=responses(404, 422))
def session_recommendations(session_id: int, store: StoreDep) -> list[dict[str, Any]]:
    """The session's suggestions, each with the exercise's name and catalogue dose added."""
    catalogue = load_catalogue()
    with _http_errors():
        program = current_program(store.analysis(session_id), None, catalogue)
    names = {ex.id: ex.name for ex in catalogue.exercises}
    return [{"exercise": it["exercise"], "side": it["side"], "direction": it["direction"], "reason": it["reason"],
             "name": names[it["exercise"]], "dose": it["dose"]} for it in program["items"]]


@router.get("/sessions/{session_id}/program", responses=responses(404, 422))
def show_program(session_id: int, store: StoreDep) -> dict[str, Any]:
    """The home program in force: the one kept for the session, else the one made from its suggestions."""
    with _http_errors():
        stored = store.program(session_id)
        program = current_program(store.analysis(session_id), stored, load_catalogue())
    return _program_out(session_id, program)


@router.put("/sessions/{session_id}/program", responses=responses(400, 404, 413, 422))
def save_program(session_id: int, body: ProgramIn, store: StoreDep) -> dict[str, Any]:
    """Keep an edited home program with the session (choose, remove, set doses)."""
    with _http_errors():
        program = check_program({"items": body.items, "notes": body.notes, "exercises": body.exercises},
                                load_catalogue())
        kept = store.set_program(session_id, program)
    return _program_out(session_id, {**kept, "edited": True})


@router.delete("/sessions/{session_id}/program", responses=responses(404, 422))
def reset_program(session_id: int, store: StoreDep) -> dict[str, Any]:
    """Forget the edited program: the session's suggestions are the program again."""
    with _http_errors():
        deleted = store.delete_program(session_id)
    return {"deleted": deleted}


@router.get("/sessions/{session_id}/program.pdf", responses=responses(404, 422))
async def program_pdf(session_id: int, request: Request, store: StoreDep, paper: PaperDep,
                      download: bool = False) -> Response:
    """The home program to print, one page or two (422 when it is empty; ``?paper=`` as the report's); made as the
    report is (:func:`hiprom.server.rendering.while_connected`), so a client that leaves stops it."""
    from hiprom.report import ReportData, render_program_pdf

    def render(cancelled: Callable[[], bool]) -> bytes:
        with _http_errors():
            return render_program_pdf(ReportData.from_store(store, session_id), paper, cancelled)

    pdf = await while_connected(request, render)
    if pdf is None:
        log.info("stopped making the home program of session %d: the client has gone", session_id)
        return Response(status_code=204)
    disposition = "attachment" if download else "inline"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'{disposition}; filename="hiprom-program-{session_id}.pdf"'})


@router.get("/sessions/{session_id}/exercise-results", responses=responses(404, 422))
def list_exercise_results(session_id: int, store: StoreDep) -> list[dict[str, Any]]:
    """Exercises counted in the session (``hiprom.exercise/1`` records with id and time)."""
    with _http_errors():
        return store.exercise_results(session_id)


@router.post("/sessions/{session_id}/exercise-results", status_code=201, responses=responses(400, 404, 413, 422))
def add_exercise_result(session_id: int, body: dict[str, Any], store: StoreDep,
                        catalogue: CatalogueDep) -> dict[str, Any]:
    """Store one counted exercise (as ``exercise_result`` / the live ``RepCounter`` make it): one of the
    catalogue's, or of the home program handed over."""
    known = {ex.id for ex in catalogue.exercises}
    if not isinstance(body.get("exercise"), str) or body["exercise"] not in known:
        raise HTTPException(422, f"unknown exercise {body.get('exercise')!r}, expecting one of {{{', '.join(known)}}}")
    with _http_errors():
        return store.add_exercise_result(session_id, body)


@router.get("/sessions/{session_id}/retest", responses=responses(404, 422))
def retest(session_id: int, store: StoreDep,
           before: Annotated[int | None, Query(ge=1, description="the earlier session; default: same visit")] = None
           ) -> dict[str, Any]:
    """Before/after table of a re-test (``hiprom.retest/1``) against ``before`` or the same visit's test,
    with its ``heading`` as the PDF words it ("before and after the exercises" only when exercises were counted)."""
    with _http_errors():
        baseline = store.retest_baseline(session_id, before)
        if baseline is None:
            raise HTTPException(404, f"session {session_id} has no earlier test in the same visit; "
                                     "give ?before=SESSION")
        table = compare(store.analysis(baseline), store.analysis(session_id), *clinic_mdc(store))
        heading = retest_heading(bool(store.exercise_results(baseline)))
    return {**table, "before": baseline, "after": session_id, "heading": heading}


@router.get("/subjects/{subject}/trend", responses=responses(404, 422))
def subject_trend(subject: str, store: StoreDep) -> dict[str, Any]:
    """The subject's figures across visits, with the program kept and the exercises counted at each, and
    ``words``: what the table says besides them, as ``hiprom trend`` says it (``report.rows.history_words``).
    A clinic's catalogue file that cannot be read leaves the figures: its exercises are then named by their ids."""
    return _trend(store, subject)


@router.get("/trend", responses=responses(409))
def own_trend(request: Request, store: StoreDep) -> dict[str, Any]:
    """Every test of one patient's store at home (``Store.one_patient``, on a server not started as a clinic's), as
    :func:`subject_trend` gives a person's: at home a test saved without a pseudonym is the patient's too, and
    the page lists them all as "Your tests", as the PDF's history has them. 409 on a clinic's store, whose tests
    are many people's."""
    if request.app.state.settings.clinic or not store.one_patient():
        raise HTTPException(409, "this store is a clinic's: its tests are many people's; ask for one person's "
                                 "visits at GET /api/subjects/{subject}/trend")
    return _trend(store, None)


def _trend(store: Store, subject: str | None) -> dict[str, Any]:
    """The trend of ``subject``'s sessions (``None``: every session of the store) with its ``words``."""
    from hiprom.report.rows import exercise_names, history_words

    catalogue = catalogue_or_none()  # the names a visit's kept program carried come with the visits
    with _http_errors():
        mdc, mdc_source = clinic_mdc(store)
        visits = store.visits(subject)
        result = trend(visits, mdc, mdc_source)
    return {**result, "words": history_words(result, mdc_source, exercise_names(catalogue, visits))}
