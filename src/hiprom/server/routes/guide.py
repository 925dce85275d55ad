"""The guided test of the server's own source, over plain HTTP (for scripts and tests)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from hiprom.live.exercise import ExerciseError
from hiprom.live.messages import MAX_EARLIER_REPS
from hiprom.server.deps import CatalogueDep, EngineDep
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


exercise_router = APIRouter(prefix="/api/exercise", tags=["guide"])


class ExerciseStart(BaseModel):
    """The camera-followed exercise to count, and the side; ``reps``: those counted before (``Rep.to_dict``,
    numbered from 1), which the page sends back when the server restarted mid-exercise, to go on from."""

    exercise: str = Field(max_length=64)
    side: Literal["left", "right"]
    reps: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_EARLIER_REPS)
    dose: dict[str, Any] | None = Field(None, max_length=3, description=(
        "{hold_s, reps, sets}: a home program's dose (GET /api/home-program), else the catalogue's"))


@exercise_router.get("", responses=responses(503))
def exercise_state(engine: EngineDep) -> dict | None:
    """The counted exercise as last sent to the pages (None before one was started)."""
    return engine.exercise_state


@exercise_router.post("/start", status_code=202, responses=responses(400, 413, 422, 503))
def exercise_start(body: ExerciseStart, engine: EngineDep, catalogue: CatalogueDep) -> dict:
    """Count ``exercise`` on ``side`` from the live source (the guided test is closed; a file restarts),
    going on from ``reps`` after a new lead-in when they are given; the exercise is the catalogue's or the
    home program's handed over (a clinic's own)."""
    try:
        engine.start_exercise(body.exercise, body.side, body.reps, body.dose, catalogue)
    except ExerciseError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"queued": "start", "exercise": body.exercise, "side": body.side}


@exercise_router.post("/stop", status_code=202, responses=responses(503))
def exercise_stop(engine: EngineDep) -> dict:
    """End the counted exercise; its record (``hiprom.exercise/1``) then appears in ``GET /api/exercise``."""
    engine.stop_exercise()
    return {"queued": "stop"}
