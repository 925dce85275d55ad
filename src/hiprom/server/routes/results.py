"""Finished guided tests: fetch the full analysis, save it to the records store."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from hiprom.server.deps import ResultsDep
from hiprom.server.errors import responses

router = APIRouter(prefix="/api/results", tags=["results"])


@router.get("/{result_id}", responses=responses(404))
def get_result(result_id: str, results: ResultsDep) -> dict:
    """The analysis (``hiprom.analysis/1``) of a finished guided test."""
    test = results.get(result_id)
    if test is None:
        raise HTTPException(404, f"no finished test {result_id!r} (results are kept in memory until the server stops)")
    return test.analysis
