"""The page: ``/`` and its files under ``/static``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from hiprom.server.deps import SettingsDep
from hiprom.server.files import PageFile
from hiprom.server.webdir import find_web_dir

router = APIRouter(include_in_schema=False)


@router.get("/")
def index(settings: SettingsDep) -> Response:
    """The page (:class:`~hiprom.server.security.AccessGuard` sets the Content-Security-Policy on every answer)."""
    return PageFile(find_web_dir(settings.web_dir) / "index.html", headers={"Cache-Control": "no-cache"})
