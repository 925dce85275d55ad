"""Bounded requests and contained failures: two plain ASGI middlewares.

- :class:`BodyLimit` refuses a request body larger than the limit with 413
  and one message, before it is read into memory (``Content-Length``) or as
  soon as the bytes received pass it (chunked uploads).
- :class:`ContainErrors` turns an unexpected exception into a 500 answer with
  a plain message, logged with its traceback, and *does not* re-raise it:
  uvicorn then keeps the connection open, so a bug hit by one request never
  resets the next request on the same keep-alive connection.
"""

from __future__ import annotations

import json
import logging

from starlette.exceptions import HTTPException

from hiprom.parsing import ascii_int

log = logging.getLogger("hiprom.server")


def _json_response(status: int, detail: str, extra_headers: list[tuple[bytes, bytes]] | None = None):
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               *(extra_headers or [])]
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body})


def too_large_detail(limit_bytes: int) -> str:
    """The one message of a 413."""
    return (f"request body larger than {limit_bytes / 1048576:.0f} MB; send one analysis or file at a time, "
            "or split a large file (a seated test's analysis is well under this)")


class _TrackedSend:
    """An ASGI ``send`` that remembers whether the response has started: after that, an error
    can no longer be answered with a response of its own."""

    def __init__(self, send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class _TooLarge(HTTPException):
    """Raised by the counting ``receive``: an HTTPException, so FastAPI's body reader passes it on as 413."""


class BodyLimit:
    """ASGI middleware: HTTP request bodies of at most ``limit_bytes`` (413 otherwise)."""

    def __init__(self, app, limit_bytes: int) -> None:
        self.app = app
        self.limit_bytes = limit_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-length"), None)
        size = ascii_int(declared.decode("latin-1"), max_digits=19) if declared is not None else None
        if size is not None and size > self.limit_bytes:
            await self._refuse(send)
            return
        received = 0
        tracked = _TrackedSend(send)

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit_bytes:
                    raise _TooLarge(413, too_large_detail(self.limit_bytes), headers={"Connection": "close"})
            return message

        try:
            await self.app(scope, limited_receive, tracked)
        except _TooLarge:
            if not tracked.started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        # Connection: close, so the client stops sending what would not be read.
        for message in _json_response(413, too_large_detail(self.limit_bytes), [(b"connection", b"close")]):
            await send(message)


INTERNAL_ERROR = "internal error in the server; the server's log has the details (please report it)"


class ContainErrors:
    """ASGI middleware: an unexpected exception becomes a logged 500, the connection stays usable."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = _TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:  # noqa: BLE001 - the last line of defence: log it, answer 500, keep serving
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not tracked.started:
                for message in _json_response(500, INTERNAL_ERROR):
                    await send(message)
