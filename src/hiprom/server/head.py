"""HEAD answered wherever GET is: a plain ASGI middleware.

FastAPI's routes take only the methods they declare, so ``curl -I`` on the
page or an uptime monitor's HEAD on ``/health`` met "405 Method Not Allowed"
from a server that was up. HTTP says a server answers HEAD as it would GET,
without the body (RFC 9110, 9.3.2): the request goes on as a GET, its status
and headers (``Content-Length`` included) are sent, the body is not. A
response that never ends by itself (the MJPEG preview) ends there: once the
answer is complete, uvicorn tells the app the client has gone.
"""

from __future__ import annotations


class HeadAsGet:
    """ASGI middleware: a HEAD request is routed as GET and answered without a body."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def headers_only(message) -> None:
            nonlocal ended
            if message["type"] == "http.response.start":
                await send(message)
            elif not ended:  # the body, or a file to send (pathsend): none of it goes out
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)
