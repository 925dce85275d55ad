"""The page's files, with byte ranges answered in the API's error shape.

Starlette's :class:`~starlette.responses.FileResponse` honours ``Range``
(``/`` and everything under ``/static``), but answers a range it cannot
serve in plain text: a 400 for a malformed one, an empty 416 for one past the
end. Here both are a 416 ``{"detail": sentence}`` with ``Content-Range:
bytes */size`` (RFC 9110 15.5.17), and a range unit other than bytes is
ignored, the whole file sent (RFC 9110 14.2).
"""

from __future__ import annotations

import os

from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable, Response
from starlette.staticfiles import NotModifiedResponse
from starlette.types import Receive, Scope, Send


def range_refused(size_bytes: int) -> JSONResponse:
    """The one answer to a ``Range`` that cannot be served from a file of ``size_bytes``."""
    return JSONResponse(
        {"detail": f"the Range header asks for bytes this file does not have (it has {size_bytes}); "
                   "ask for bytes=0- or leave Range out"},
        status_code=416, headers={"Content-Range": f"bytes */{size_bytes}"})


class PageFile(FileResponse):
    """A file of the page; a ``Range`` it cannot serve is :func:`range_refused`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        """:func:`range_refused` when the request's ``Range`` applies (as Starlette decides) and cannot be served."""
        headers = Headers(scope=scope)
        http_range, if_range = headers.get("range"), headers.get("if-range")
        if (self.status_code != 200 or http_range is None or scope["type"] != "http"
                or scope["method"].upper() not in ("GET", "HEAD")):
            return None
        if self.stat_result is None:  # Starlette stats the file when answering; its headers are needed for If-Range
            self.stat_result = os.stat(self.path)
            self.set_stat_headers(self.stat_result)
        size = self.stat_result.st_size
        if if_range is not None and not self._should_use_range(if_range):
            return None
        try:
            self._parse_range_header(http_range, size)
        except (MalformedRangeHeader, RangeNotSatisfiable):
            return range_refused(size)
        return None

    @classmethod
    def _parse_range_header(cls, http_range: str, file_size: int) -> list[tuple[int, int]]:
        """Starlette's parser, with a unit other than bytes ignored (no ranges: the whole file)."""
        if http_range.split("=", 1)[0].strip().lower() != "bytes":
            return []
        return super()._parse_range_header(http_range, file_size)


class PageFiles(StaticFiles):
    """``StaticFiles`` whose files are :class:`PageFile`."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        """Starlette's answer (304 when not modified), with the file as a :class:`PageFile`."""
        response = PageFile(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response
