"""uvicorn's protocols with the limits they lack: deadlines for a request's head and body, sizes.

uvicorn waits for a request's headers for ever and keeps every byte of them:
a client that sends a header line every few seconds (slowloris), or connects
and sends nothing, holds a connection and its file descriptor as long as it
likes, and a megabyte-long header is read whole. A few hundred such
connections use up the process's file descriptors, and then saving a session
fails. Here a connection has :data:`HEAD_TIMEOUT_S` from its first byte (or
from connecting) to the end of a request's headers, else it gets a 408 and is
closed; a head (request line and headers) over :data:`MAX_HEAD_BYTES` gets a
431. Both answer in the API's shape, ``{"detail": "..."}``, as does a request
the parser refuses (400; uvicorn answered "Invalid HTTP request received." in
plain text), which includes an address over about 64 KB.

A body is sized by :class:`hiprom.server.limits.BodyLimit`; here it must also
keep coming: a client that declares a ``Content-Length`` and then sends a byte
a second held the connection for as long as it liked. A body has
:data:`BODY_GRACE_S` plus one second per :data:`MIN_BODY_RATE_BPS` bytes
received so far (on average at least 8 KB a second once the grace is over;
an 8 MB upload on the slowest network is far above that), else a 408 in the
API's shape when nothing has been answered yet, or the connection is closed.
Only the time the server waits *for the client* counts: while uvicorn has
paused reading (the app has not taken the bytes already read, an earlier
pipelined request is still being answered) or a ``100-continue`` has not been
sent, the body is held back by the server and its clock stops.

A WebSocket message is at most :data:`MAX_MESSAGE_BYTES` (uvicorn's default, 16 MB, is far above a camera
picture); a larger one closes the connection with 1009 and :data:`MESSAGE_TOO_BIG`
(:class:`BoundedWebSocketProtocol`).
"""

from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import CloseCode
from websockets.server import ServerProtocol

LINGER_S = 2.0
"""Seconds the rest of a refused request is read and dropped, so that the client reads the answer."""
HEAD_TIMEOUT_S = 20.0
"""Seconds from a request's first byte (or the connection) to the end of its headers."""
MAX_HEAD_BYTES = 64 * 1024
"""Bytes of a request's line and headers; the page's requests send under 2 KB."""
BODY_GRACE_S = 20.0
"""Seconds a request's body may take whatever its size, before :data:`MIN_BODY_RATE_BPS` applies."""
MIN_BODY_RATE_BPS = 8 * 1024
"""Bytes a second a body must average past its grace (a 64 kbit/s link; a home network gives 100-10,000 times more)."""
BODY_TICK_S = 1.0
"""Seconds between two looks at a body under way."""

_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class BoundedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size limit on each request's head, a pace for its body."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = True
        self._head_bytes = 0
        self._refused = False
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_waited_s = 0.0
        self._body_bytes = 0
        self._body_seen_at = 0.0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        self._stop_body()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:  # the rest of a refused request: dropped
            return
        in_head = self._in_head
        super().data_received(data)
        if in_head and self._in_head and not self.transport.is_closing():  # the whole chunk was head
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                if self._answering():  # counted again once that answer is sent and reading goes on
                    self.flow.pause_reading()
                    return
                self._refuse(431, f"request headers larger than {MAX_HEAD_BYTES // 1024} KB; send shorter headers "
                                  "and give long values in the body")

    def send_400_response(self, msg: str) -> None:
        """A request the parser refuses (uvicorn answered it in plain text): the API's shape, saying what to check."""
        self._refuse(400, "not a valid HTTP request: check its request line and headers; an address longer than "
                          "64 KB is refused too (send long values in the body)")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # the first byte of the next request on a kept-alive connection
            self._start_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_timer()
        upgrade = self.parser.should_upgrade()  # a WebSocket handshake: this protocol hands the connection on
        super().on_headers_complete()
        if not upgrade and self._has_body():
            self._start_body()

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop_body()
        super().on_message_complete()

    def _has_body(self) -> bool:
        for name, value in self.headers:
            name = name.lower()
            if name == b"transfer-encoding" or (name == b"content-length" and value.strip(b" \t0")):
                return True
        return False

    def _start_body(self) -> None:
        self._stop_body()
        self._body_waited_s, self._body_bytes, self._body_seen_at = 0.0, 0, self.loop.time()
        self._body_timer = self.loop.call_later(BODY_TICK_S, self._body_tick)

    def _stop_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _held_by_server(self) -> bool:
        """The body is not coming because of the server: reading paused, or the client waits for 100-continue."""
        cycle = self.cycle
        return self.flow.read_paused or bool(self.pipeline) or (
            cycle is not None and cycle.waiting_for_100_continue and not cycle.response_started)

    def _body_tick(self) -> None:
        now = self.loop.time()
        if not self._held_by_server():
            self._body_waited_s += now - self._body_seen_at
        self._body_seen_at = now
        if self.transport.is_closing():
            self._body_timer = None
            return
        if self._body_waited_s <= BODY_GRACE_S + self._body_bytes / MIN_BODY_RATE_BPS:
            self._body_timer = self.loop.call_later(BODY_TICK_S, self._body_tick)
            return
        self._body_timer = None
        self._body_too_slow()

    def _body_too_slow(self) -> None:
        """A 408 while the app has answered nothing (it is told the client has gone), else the connection closed."""
        detail = (f"the request's body came too slowly ({self._body_bytes} bytes in {self._body_waited_s:.0f} s); "
                  "send it at once")
        cycle = self.cycle
        if cycle is None or cycle.response_started:
            self.logger.warning("408 %s", detail)
            self.transport.close()
            return
        cycle.disconnected = True  # the app's receive() answers http.disconnect, its answer is dropped
        cycle.message_event.set()
        self._refuse(408, detail)

    def _start_head(self) -> None:
        self._in_head, self._head_bytes = True, 0
        self._stop_timer()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_too_slow)

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _answering(self) -> bool:
        """An earlier request of this connection is still being answered (a pipelined client): no answer of ours now."""
        return bool(self.pipeline) or (self.cycle is not None and not self.cycle.response_complete)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self._answering():  # the head waits for that answer (reading is paused): its time starts again
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_too_slow)
            return
        self._refuse(408, f"the request's headers did not arrive within {HEAD_TIMEOUT_S:g} s; send them at once")

    def _refuse(self, status: int, detail: str) -> None:
        """Answer ``status`` with ``detail`` and close the connection (nothing of the request reached the app).

        The connection is closed for writing at once but read (and dropped) for :data:`LINGER_S`: closing it
        with the request's rest unread would reset it, and the client would lose the answer.
        """
        self._stop_timer()
        self._stop_body()
        self._in_head, self._refused = False, True
        body = json.dumps({"detail": detail}).encode()
        head = (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n"
                % (status, _REASONS[status], len(body)))
        self.logger.warning("%s %s", status, detail)
        self.transport.write(head + body)
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()


MAX_MESSAGE_BYTES = 4 * 1024 * 1024
"""Bytes of one WebSocket message: a camera picture (the page sends 480 px ones, about 50 KB; a 4K JPEG is under
4 MB) or a command (under 1 KB). uvicorn's default of 16 MB let four camera pages hold 64 MB of one message each."""
MESSAGE_TOO_BIG = (f"A message over {MAX_MESSAGE_BYTES // 1048576} MB was refused: send one camera picture at a time, "
                   "at a lower resolution or JPEG quality.")
"""The close reason (code 1009) of a message over :data:`MAX_MESSAGE_BYTES` (a close reason is 123 bytes at most)."""


class _BoundedConnection(ServerProtocol):
    """websockets' server connection, whose close for a message too big says what to do (its own reason was
    ``frame with N bytes exceeds limit of M bytes``)."""

    def fail(self, code: CloseCode | int, reason: str = "") -> None:
        super().fail(code, MESSAGE_TOO_BIG if code == CloseCode.MESSAGE_TOO_BIG else reason)


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol with messages of at most :data:`MAX_MESSAGE_BYTES` (a larger one is refused
    as its first frame's header arrives, before its bytes are kept) and a close that says why."""

    def __init__(self, config, *args, **kwargs) -> None:
        super().__init__(config, *args, **kwargs)
        self.conn = _BoundedConnection(extensions=self.conn.available_extensions, max_size=MAX_MESSAGE_BYTES,
                                       logger=self.conn.logger)
