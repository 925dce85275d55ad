"""The app factory: ``create_app(settings)`` builds the FastAPI app, nothing else.

The live engine (threads) and the records store are made in the lifespan,
when the server starts, and torn down when it stops; nothing is built at
import time, so tests can make as many apps as they like.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from hiprom import __version__
from hiprom.errors import HipromError
from hiprom.live.engine import LiveEngine
from hiprom.live.processor import ResultRegistry
from hiprom.server.errors import (
    GUARDED,
    method_not_allowed,
    one_error_shape,
    one_line_validation_error,
    plain_http_error,
    responses,
)
from hiprom.server.files import PageFiles
from hiprom.server.head import HeadAsGet
from hiprom.server.limits import BodyLimit, ContainErrors
from hiprom.server.devices import DeviceSessions
from hiprom.server.parked import ParkedCameras
from hiprom.server.routes import camera, guide, health, live, pages, results, signin
from hiprom.server.routes import devices as device_routes
from hiprom.server.security import AccessGuard
from hiprom.server.settings import ServerSettings
from hiprom.server.signin import SignInCodes
from hiprom.server.webdir import find_web_dir

log = logging.getLogger("hiprom.server")


def create_app(settings: ServerSettings | None = None, sign_in: SignInCodes | None = None,
               devices: DeviceSessions | None = None) -> FastAPI:
    """Build the app for ``settings`` (defaults: camera 0 on 127.0.0.1).

    ``sign_in`` holds the one-use sign-in links of a server with a token (``hiprom serve`` passes one that
    prints a fresh link when the last one printed is used); a quiet one is made when it is not given.
    ``devices`` holds its signed-in devices (``hiprom serve`` passes one kept in a file, so that they stay
    signed in across a restart); one kept in memory is made when it is not given.

    Raises ``ConfigError`` when the settings would expose health data (a
    non-loopback host without a token) or the page cannot be found.
    """
    settings = (settings if settings is not None else ServerSettings()).check()
    web_dir = find_web_dir(settings.web_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = asyncio.get_running_loop()
        app.state.store = _open_store(settings) if app.state.records else None
        if settings.start_source:
            from hiprom.demo import demo_recording

            engine = LiveEngine(app.state.live, loop, app.state.results, demo=demo_recording)
            engine.start()
            app.state.engine = engine
        try:
            yield
        finally:
            app.state.parked_cameras.close_all()
            if app.state.engine is not None:
                await asyncio.to_thread(app.state.engine.stop)
            if app.state.store is not None:
                app.state.store.close()

    app = FastAPI(
        title="hiprom live",
        version=__version__,
        summary="Seated hip rotation, measured live from a camera.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's API pages load their scripts from a CDN; /openapi.json describes the API
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sign_in = None if settings.token is None else (sign_in or SignInCodes())
    app.state.devices = devices if devices is not None else DeviceSessions()
    app.state.live = settings.live_config()  # a clinic's bad norms file fails here, before serving
    app.state.results = ResultRegistry()
    app.state.camera_clients = 0
    app.state.parked_cameras = ParkedCameras(capacity=settings.max_camera_clients)
    app.state.engine = None
    app.state.store = None
    # Outermost last: the guard answers first, then bodies are bounded, then failures contained, then HEAD is a GET.
    app.add_middleware(HeadAsGet)
    app.add_middleware(ContainErrors)
    app.add_middleware(BodyLimit, limit_bytes=int(settings.max_body_mb * 1024 * 1024))
    app.add_middleware(AccessGuard, token=settings.token, loopback_only=not settings.needs_token,
                       devices=app.state.devices)
    app.add_exception_handler(RequestValidationError, one_line_validation_error)
    app.add_exception_handler(405, method_not_allowed)
    app.add_exception_handler(StarletteHTTPException, plain_http_error)
    app.include_router(health.router)
    app.include_router(signin.router)
    app.include_router(device_routes.router)
    for module in (live, camera, guide, results):
        app.include_router(module.router, responses=responses(*GUARDED))
    app.include_router(guide.exercise_router, responses=responses(*GUARDED))
    app.include_router(pages.router)
    app.mount("/static", PageFiles(directory=web_dir), name="static")
    app.state.records = settings.records and _include_records(app)
    one_error_shape(app)
    return app


def end_streams(app: FastAPI) -> None:
    """End the responses that never end by themselves (the MJPEG preview): the server is stopping."""
    engine = getattr(app.state, "engine", None)
    if engine is not None:
        engine.preview.close()


def _include_records(app: FastAPI) -> bool:
    """Mount the records routers (sessions, reports, corrections, reference readings, exercises, a patient's file
    imported) when that part is installed."""
    try:
        routers = [importlib.import_module(f"hiprom.server.routes.{name}").router
                   for name in ("records", "edits", "references", "exercises", "imports")]
    except ImportError as exc:
        log.warning("records API not available (%s): the page cannot save sessions", exc)
        return False
    for router in routers:
        app.include_router(router, responses=responses(*GUARDED))
    return True


def _open_store(settings: ServerSettings):
    """The records store, or None (with the reason in the log) when it cannot be opened."""
    from hiprom.store import Store

    try:
        store = Store(settings.db)
    except HipromError as exc:
        log.error("the records store cannot be opened, so sessions cannot be saved: %s", exc)
        return None
    log.info("records store: %s", store.where)
    return store
