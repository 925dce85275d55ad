"""Liveness and the live loop's figures."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request

from hiprom import __version__
from hiprom.assessment.reasons import REASON_WORDS
from hiprom.assessment.result import flag_severities
from hiprom.assessment.wording import MEASURE_LABELS
from hiprom.errors import StoreError
from hiprom.landmarks import BONES, LEGS, SIDES, Landmark
from hiprom.report.paper import PAPERS
from hiprom.server.errors import GUARDED, responses
from hiprom.store import INSTRUMENTS

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict:
    """The server is up (no health data here, so no token is needed)."""
    return {"status": "ok", "version": __version__}


@router.get("/api/live", responses=responses(*GUARDED))
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
        "preview_drops": engine.preview.dropped_per_client(),
    }


def _patients_own(state: Any) -> bool:
    """Whether the server keeps records in what may be a patient's own store (``Store.patients_own``): its page
    then offers the home program between tests (Exercises). False without a store, when it cannot be read, or
    on a clinic's server (``ServerSettings.clinic``: a new store of a clinic's first patient looks like a
    patient's own)."""
    store = getattr(state, "store", None)
    if store is None or state.settings.clinic:
        return False
    try:
        return store.patients_own()
    except StoreError:
        return False


def _last_test(state: Any) -> dict[str, str] | None:
    """In one patient's store (``Store.one_patient``), their last test's day (on this computer's clock) and what
    the page says of it between tests (``assessment.exercises.last_test_words``); None elsewhere, or before the
    first."""
    from hiprom.assessment.exercises import last_test_words
    from hiprom.store.records import local_day

    try:  # a home store that names a second person is no one patient's: whose last test would it be?
        newest = state.store.sessions(limit=1) if state.store.one_patient() else []
    except StoreError:
        return None
    if not newest:
        return None
    tested = local_day(newest[0].recorded_utc)
    return {"local_date": tested.isoformat(), "words": last_test_words(tested, date.today())}


@router.get("/api/info", responses=responses(*GUARDED))
def info(request: Request) -> dict:
    """What this server offers the page, and the domain facts it shows: norms, flags, measures (their names),
    landmarks, sides, instruments, the papers of its PDFs and the one it uses unless asked (``?paper=``)."""
    state = request.app.state
    settings = state.settings
    norms = state.live.norms
    home = _patients_own(state)
    return {
        "version": __version__,
        "records": getattr(state, "store", None) is not None,
        "home": home,
        "last_test": _last_test(state) if home else None,
        "server_source": getattr(state, "engine", None) is not None,
        "browser_camera": settings.max_camera_clients > 0,
        "token_required": settings.token is not None,
        "sides": list(SIDES),
        "norms": {
            "norm_deg": norms.norm_deg,
            "arc_norm_deg": norms.arc_norm_deg,
            "asymmetry_threshold_deg": norms.asymmetry_threshold_deg,
            "mdc_deg": list(norms.mdc_deg),
            "bands": {"internal": list(norms.internal_band_deg), "external": list(norms.external_band_deg)},
        },
        "flags": flag_severities(),
        "reasons": REASON_WORDS,
        "measures": MEASURE_LABELS,
        "landmarks": {lm.name.lower(): int(lm) for lm in Landmark},
        "bones": [[a.name.lower(), b.name.lower()] for a, b in BONES],
        "legs": {side: [lm.name.lower() for lm in LEGS[side]] for side in SIDES},
        "instruments": list(INSTRUMENTS),
        "paper": settings.paper,
        "papers": [{"name": p.name, "words": p.words} for p in PAPERS.values()],
    }
