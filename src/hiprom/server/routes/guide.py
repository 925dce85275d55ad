"""The guided test of the server's own source, over plain HTTP (for scripts and tests)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from hiprom.server.deps import EngineDep
from hiprom.server.errors import responses

router = APIRouter(prefix="/api/guide", tags=["guide"])


@router.get("", responses=responses(503))
def guide_state(engine: EngineDep) -> dict:
    """The guide state as last sent to the pages."""
    return engine.guide_state


@router.post("/{action}", status_code=202, responses=responses(422, 503))
def guide_command(action: Literal["start", "next", "redo", "cancel"], engine: EngineDep) -> dict:
    """Queue a command (Space/Enter = next, R = redo, Esc = cancel on the page)."""
    engine.command(action)
    return {"queued": action}
