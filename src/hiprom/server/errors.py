"""One shape for every error answer, and its description in the OpenAPI document.

Every 4xx/5xx the server sends is ``{"detail": "one plain sentence"}``: the
token and host checks, the body limit, the records store's errors, and
request validation, whose list of pydantic errors becomes one line naming
the field in the project's words (``pseudonym: at most 64 characters, but
got 65``; :func:`hiprom.assessment.schema.plain_error`). Routes declare
which of these statuses they can answer with :func:`responses`, so
``/openapi.json`` lists exactly what the server returns.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from hiprom.assessment.schema import plain_error


class ErrorBody(BaseModel):
    """An error answer: what went wrong and what to do, in one sentence."""

    detail: str


_MEANING = {
    400: "The request body could not be read (not JSON, or nested too deeply).",
    401: "An access token is required (this server is reachable from other machines).",
    403: "Another site, or a host name that is not this machine.",
    404: "No such record.",
    409: "The change conflicts with what is stored (e.g. the pseudonym is taken).",
    413: "The request body is larger than the server accepts.",
    422: "A value is missing or malformed; the message names the field.",
    501: "This part is not installed on the server (e.g. PDF rendering).",
    503: "The server has no records store, or no live source, or the store cannot be reached.",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that may answer with ``statuses`` (all ``ErrorBody``)."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


GUARDED = (401, 403)
"""What the access guard may answer on any route but ``/health``."""


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``analysis: sides.left.total_arc_deg`` from ``("body", "analysis", "sides", "left", ...)``.

    The same words ``hiprom sessions add`` uses for the same mistake.
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    if not parts:
        return "request"
    return parts[0] + (f": {'.'.join(parts[1:])}" if len(parts) > 1 else "")


_OBJECT_EXPECTED = ("model_attributes_type", "model_type", "dict_type")
"""Pydantic's errors for a body that should be a JSON object and came as text (another content type)."""
NOT_JSON = "the request body is not JSON: send one JSON object, UTF-8, with Content-Type: application/json"


async def one_line_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with ``{"detail": "field: message"}`` instead of FastAPI's list of error objects.

    A body that is not JSON at all (malformed, or sent as another content
    type) is a 400 saying so, as ``/openapi.json`` describes it.
    """
    errors = exc.errors()
    if not errors:
        return JSONResponse({"detail": "request: invalid"}, status_code=422)
    first = errors[0]
    if first.get("type") == "json_invalid" or (tuple(first.get("loc", ())) == ("body",)
                                               and first.get("type") in _OBJECT_EXPECTED
                                               and isinstance(first.get("input"), (bytes, str))):
        return JSONResponse({"detail": NOT_JSON}, status_code=400)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return JSONResponse({"detail": f"{_field(first.get('loc', ()))}: {plain_error(first)}{more}"}, status_code=422)


def one_error_shape(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe every 422 as :class:`ErrorBody`, the shape the server sends.

    FastAPI adds its own 422 (a list of error objects) to each route with
    parameters; :func:`one_line_validation_error` answers with one line instead.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        error_ref = {"$ref": "#/components/schemas/ErrorBody"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                answer = operation.get("responses", {}).get("422")
                if answer is not None:
                    answer["description"] = _MEANING[422]
                    answer["content"] = {"application/json": {"schema": error_ref}}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ErrorBody", ErrorBody.model_json_schema())
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_FRAMEWORK_WORDS = {
    (400, "There was an error parsing the body"): NOT_JSON,  # FastAPI's, for bytes that are not UTF-8 JSON
    (404, "Not Found"): "nothing here: the page is at /, the API under /api (listed in /openapi.json)",
}
"""The framework's bare answers, as sentences that say what to do."""


async def plain_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """Any HTTP error as ``{"detail": sentence}``; the framework's bare phrases get sentences that say what to do."""
    detail = _FRAMEWORK_WORDS.get((exc.status_code, exc.detail), exc.detail)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_MOUNT_METHODS = ("GET",)  # the page's files


async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    """405 whose ``Allow`` lists every method of the path (Starlette names only the first route's).

    Each method is tried against the app's own route matching, so routers
    included into others answer as they route.
    """
    scope = {**request.scope, "path": request.url.path, "root_path": ""}  # as the app saw it, before any mount
    allowed = []
    for method in _METHODS:
        for route in request.app.router.routes:
            if route.matches({**scope, "method": method})[0] == Match.FULL:
                if not isinstance(route, Mount) or method in _MOUNT_METHODS:  # a mount matches any method
                    allowed.append(method)
                break
    if "GET" in allowed:  # wherever GET goes, HEAD does too (server.head.HeadAsGet)
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    use = f"use {', '.join(allowed)}" if allowed else "this path takes no requests"
    return JSONResponse({"detail": f"{request.method} is not allowed here; {use}"},
                        status_code=405, headers={"Allow": ", ".join(allowed)})
