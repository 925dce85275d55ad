"""Typed dependencies of the routes: settings, the live engine, finished results, the PDFs' paper, the exercises."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Query
from starlette.requests import HTTPConnection

from hiprom.assessment.exercises import Catalogue, load_catalogue
from hiprom.errors import ConfigError, InputError, StoreError
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


def home_catalogue(conn: HTTPConnection) -> Catalogue:
    """The exercises this server's page may start and store: the catalogue (a clinic's file applied) and those the
    home program a clinician handed over to its store carried (a clinic's own, which this computer's catalogue
    lacks: ``Catalogue.with_program``). ``ConfigError`` for a clinic's catalogue file that cannot be read; a store
    that cannot be read leaves the catalogue as it is (the carried exercises are then unknown, and said to be)."""
    catalogue = load_catalogue()
    store = getattr(conn.app.state, "store", None)
    if store is None:
        return catalogue
    try:
        handed = store.handed_program()
        return catalogue if handed is None else catalogue.with_program(store.program(handed))
    except (StoreError, ConfigError):
        return catalogue


def get_catalogue(conn: HTTPConnection) -> Catalogue:
    """:func:`home_catalogue`; a clinic's catalogue file that cannot be read is a 501 saying why."""
    try:
        return home_catalogue(conn)
    except ConfigError as exc:
        raise HTTPException(501, str(exc)) from None


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]
EngineDep = Annotated[LiveEngine, Depends(get_engine)]
ResultsDep = Annotated[ResultRegistry, Depends(get_results)]
PaperDep = Annotated[PaperName, Depends(get_paper)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
