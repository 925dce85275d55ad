"""REST endpoints that correct the records: a subject renamed, a session moved to another subject.

The API form of ``hiprom subjects rename`` and ``hiprom sessions move``
(:mod:`hiprom.store.edits`): the same store methods, so the same rules and the
same one-line messages, as JSON ``{"detail": ...}`` with the records API's
statuses (unknown subject or session 404, a pseudonym not allowed or nothing
to change 422, a pseudonym another subject has 409). Mounted beside
:mod:`hiprom.server.routes.records`; like every route that changes something,
these need the token when the server is reachable from other machines, and
refuse a page of another site.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from hiprom.server.errors import responses
from hiprom.server.routes.records import (
    PSEUDONYM_RULE,
    Pseudonym,
    SessionPublic,
    StoreDep,
    SubjectPublic,
    SubjectRef,
    _http_errors,
    _session_public,
)

router = APIRouter(prefix="/api", tags=["records"], responses=responses(503))


class SubjectRename(BaseModel):
    """A subject's new pseudonym; its number, details and sessions stay."""

    model_config = ConfigDict(extra="forbid")  # a field this cannot change is refused, never ignored

    pseudonym: Pseudonym = Field(description=f"{PSEUDONYM_RULE}; not another subject's, in any capitals or accents")


class SessionMove(BaseModel):
    """The subject a session belongs to; the session keeps its number, date, readings, program and exercises."""

    model_config = ConfigDict(extra="forbid")

    subject: SubjectRef = Field(description=(
        "pseudonym or number (12 or #12) of a subject that exists (404 if none: a mistyped pseudonym "
        "would otherwise start a new person)"))


@router.patch("/subjects/{subject}", response_model=SubjectPublic, responses=responses(400, 404, 409, 413, 422))
def rename_subject(subject: str, body: SubjectRename, store: StoreDep) -> dict[str, Any]:
    """Give a subject (by pseudonym or number) a new pseudonym: ``hiprom subjects rename``."""
    with _http_errors():
        return store.rename_subject(subject, body.pseudonym).to_dict()


@router.patch("/sessions/{session_id}", response_model=SessionPublic, responses=responses(400, 404, 413, 422))
def move_session(session_id: int, body: SessionMove, store: StoreDep) -> dict[str, Any]:
    """Make a session another subject's: ``hiprom sessions move``. The subject it leaves stays, even with no
    session left (``n_sessions`` of ``GET /api/subjects/{subject}``; ``DELETE`` removes it)."""
    with _http_errors():
        return _session_public(store.move_session(session_id, body.subject))
