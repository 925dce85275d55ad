"""Typed dependencies of the routes: settings, the live engine, finished results, the PDFs' paper."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query
from starlette.requests import HTTPConnection

from hiprom.errors import InputError
from hiprom.live.engine import LiveEngine
from hiprom.live.processor import ResultRegistry
from hiprom.report.paper import PAPER_PATTERN, PaperName
from hiprom.report.paper import paper as named_paper
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


def get_paper(conn: HTTPConnection, paper: Annotated[str | None, Query(
        description="paper of the PDF: a4 or letter, any case (default: the server's --paper setting)",
        json_schema_extra={"pattern": PAPER_PATTERN})] = None,
        ) -> PaperName:
    """The paper of a PDF: ``?paper=a4|letter`` (any case, as ``--paper`` takes it), else the server's
    setting; another name is a 422 saying which names there are."""
    if paper is None:
        return conn.app.state.settings.paper
    try:
        return named_paper(paper).name
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
EngineDep = Annotated[LiveEngine, Depends(get_engine)]
ResultsDep = Annotated[ResultRegistry, Depends(get_results)]
PaperDep = Annotated[PaperName, Depends(get_paper)]
