"""The page: ``/`` and its files under ``/static``."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from hiprom.server.deps import SettingsDep
from hiprom.server.files import PageFile
from hiprom.server.webdir import find_web_dir

router = APIRouter(include_in_schema=False)


@router.get("/")
def index(request: Request, settings: SettingsDep) -> Response:
    """The page; opened as ``/?token=T``, it is sent on to ``/`` (the token travels on as a cookie).

    So the token leaves the address bar, the browser history and any later
    URL; :class:`~hiprom.server.security.AccessGuard` sets the cookie on this answer
    and the Content-Security-Policy on every answer.
    """
    if "token" in request.query_params:
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        return RedirectResponse("/" + (f"?{rest}" if rest else ""), status_code=303,
                                headers={"Cache-Control": "no-store"})
    return PageFile(find_web_dir(settings.web_dir) / "index.html", headers={"Cache-Control": "no-cache"})
