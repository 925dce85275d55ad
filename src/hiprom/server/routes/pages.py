"""The page: ``/`` and its files under ``/static``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from hiprom.server.deps import SettingsDep
from hiprom.server.webdir import find_web_dir

router = APIRouter(include_in_schema=False)


@router.get("/")
def index(settings: SettingsDep) -> FileResponse:
    return FileResponse(find_web_dir(settings.web_dir) / "index.html", headers={"Cache-Control": "no-cache"})
