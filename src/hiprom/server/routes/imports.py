"""REST endpoint of ``hiprom store import`` for one person: the file a patient sent from home, added on the page.

A clinic that works on the page (a tablet signed in, no terminal) adds the
file a patient sends (the page's **your file for the clinic** at home, or a
saved test's **File for your clinic**) to that person's records: the same
import (:func:`hiprom.report.imports.import_export`) with ``--subject``, so
the same checks, the same one transaction and the same one-line messages; an
analysis of a video of the person (``hiprom analyze --json``) is taken as
their test, once (a tablet has no terminal for ``hiprom sessions add``).
Unknown subject 404, a file that is not one 422, a file imported already or
someone else's here 409, a body over the server's limit 413.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from hiprom.report.imports import ORIGIN_MAX, ImportClash
from hiprom.server.errors import NOT_JSON, responses
from hiprom.server.routes.records import StoreDep, _http_errors

router = APIRouter(prefix="/api", tags=["records"], responses=responses(503))

IMPORT_BODY = {"required": True, "content": {"application/json": {"schema": {
    "description": "an export (hiprom.export/1: one session, or a list of them), as the patient's page or "
                   "'hiprom sessions export N --format json' wrote it; or an analysis (hiprom.analysis/1, "
                   "'hiprom analyze --json'), stored as the person's test",
    "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]}}}}
"""The body of ``POST /api/subjects/{subject}/import`` as the API's description gives it (read as text)."""


async def sent_file(request: Request, file: str, default: str, what: str) -> tuple[str, str]:
    """The name (its last part, ``default`` if none) and text of a file a page sent as the body of a request
    (``application/json``): 400 for another content type, 422 (naming ``what`` to give) for bytes that are not
    UTF-8 text. The file itself is read by the import, which checks every part of it."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(400, NOT_JSON)
    name = Path(file.replace("\\", "/")).name.strip()
    name = name if name not in ("", ".", "..") else default
    try:
        return name, (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(422, f"{name}: not a readable JSON file (not UTF-8 text); give {what}") from None


@router.post("/subjects/{subject}/import", status_code=201, responses=responses(400, 404, 409, 413, 422),
             openapi_extra={"requestBody": IMPORT_BODY})
async def import_for_subject(request: Request, store: StoreDep,
                             subject: str,
                             file: Annotated[str, Query(max_length=ORIGIN_MAX)] = "export.json") -> dict[str, Any]:
    """Add the sessions of an export to ``subject``'s records, as ``hiprom store import FILE --subject`` does:
    the body is the file (``application/json``), ``file`` its name (kept as where the sessions came from).
    Answers ``{"subject", "sessions": {file's number: number here}, "already": {...}, "exercises_added":
    {file's number: how many}, "rows": {table: rows added}}``."""
    from hiprom.report.imports import import_export

    name, content = await sent_file(request, file, "export.json",
                                    "the file the patient's page or 'hiprom sessions export' wrote")

    def store_it() -> dict[str, Any]:
        with _http_errors():
            who = store.subject(subject).pseudonym  # 404 for a subject not stored: the page names someone saved
            try:
                done = import_export(store, Path(name), who, content)
            except ImportClash as exc:
                raise HTTPException(409, str(exc)) from None
        return {"subject": who, "sessions": done.numbers, "already": done.already,
                "exercises_added": done.exercises_added, "rows": done.rows}

    return await run_in_threadpool(store_it)
