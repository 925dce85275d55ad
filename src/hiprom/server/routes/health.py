"""Liveness and the live loop's figures."""

from __future__ import annotations

from fastapi import APIRouter, Request

from hiprom import __version__

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict:
    """The server is up (no health data here, so no token is needed)."""
    return {"status": "ok", "version": __version__}


@router.get("/api/live")
def live_info(request: Request) -> dict:
    """The server-side source, its status, and how fast it is processed."""
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        return {"source": None, "status": None, "clients": 0}
    return {
        "source": engine.describe(),
        "status": engine.status.as_dict(),
        "processed": engine.processed,
        "grabbed": engine.feed.slot.grabbed,
        "dropped": engine.feed.slot.dropped,
        "fps": round(engine.processor.fps, 2) if engine.processor else 0.0,
        "latency_ms": None if engine.last_latency_ms is None else round(engine.last_latency_ms, 1),
        "clients": engine.hub.n_clients,
        "client_drops": engine.hub.dropped_per_client(),
        "preview_clients": engine.preview.n_clients,
    }


@router.get("/api/info")
def info(request: Request) -> dict:
    """What this server offers the page: version, records store, modes."""
    state = request.app.state
    settings = state.settings
    return {
        "version": __version__,
        "records": getattr(state, "store", None) is not None,
        "server_source": getattr(state, "engine", None) is not None,
        "browser_camera": settings.max_camera_clients > 0,
        "token_required": settings.token is not None,
    }
