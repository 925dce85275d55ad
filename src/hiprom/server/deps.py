"""Typed dependencies of the routes: settings, the live engine, finished results."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from hiprom.live.engine import LiveEngine
from hiprom.live.processor import ResultRegistry
from hiprom.server.settings import ServerSettings


def get_settings(conn: HTTPConnection) -> ServerSettings:
    return conn.app.state.settings


def get_engine(conn: HTTPConnection) -> LiveEngine:
    engine = getattr(conn.app.state, "engine", None)
    if engine is None:
        raise HTTPException(503, "the server has no live source (it was started for browser cameras only)")
    return engine


def get_results(conn: HTTPConnection) -> ResultRegistry:
    return conn.app.state.results


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
EngineDep = Annotated[LiveEngine, Depends(get_engine)]
ResultsDep = Annotated[ResultRegistry, Depends(get_results)]
