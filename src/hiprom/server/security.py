"""Who may talk to the server: this machine by default, a token beyond it.

``AccessGuard`` is a plain ASGI middleware (so it covers WebSockets too):

- **Host check** when bound to loopback: the ``Host`` header must name this
  machine, which stops DNS-rebinding pages from reading health data through a
  name that resolves to 127.0.0.1.
- **Origin check**: a browser request from another origin (``Origin`` whose
  scheme, host or port is not this server's) may not open a WebSocket or
  change anything (POST, PUT, PATCH, DELETE). Browsers do not apply the same-origin
  rule to WebSockets, so without this any web page could watch the live stream.
- **Fetch metadata**: a browser that says the request comes from another site
  (``Sec-Fetch-Site: cross-site`` or ``same-site``, sent even where ``Origin``
  is left off, e.g. by a privacy setting) gets nothing but the pages it
  navigates to: no API call, no form post (a ``text/plain`` form can post a CSV
  of reference readings or start the guide), no ``<img>`` or ``<script>``
  load of a report.
- **Token or device** (required when bound to a non-loopback address): a
  script sends the token as ``Authorization: Bearer T`` or
  ``X-Hiprom-Token: T``; a browser carries the cookie ``hiprom_device_PORT``
  (PORT the server's, :func:`cookie_name`), the secret of its own device
  session (:mod:`hiprom.server.devices`, never the token), which it receives
  by opening a one-use sign-in link (:mod:`hiprom.server.signin`) so that its
  page, preview and WebSockets carry it. Never in the query string: an
  address is kept in the browser's history. Browsers send a host's cookies to
  every port of it: under one name, opening a second server of the same
  machine replaced the first one's cookie, whose page then got 401s.
  ``/health`` and the sign-in links stay open; a page opened without a
  sign-in gets a page saying how to sign in, one whose device was signed out
  a page saying so. A device signed out while its WebSocket or preview is
  open has them ended at once (close code 1008 and :data:`SIGNED_OUT`).

Every HTTP answer carries ``nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` (unless it sets its own: the sign-in button's page) and the page's
Content-Security-Policy;
every one but the page's own files (``/static``) ``Cache-Control: no-store``
unless it sets its own, so that no session, report or export is kept in
the browser's cache on disk after it is shown; and
:class:`RedactTokens` keeps the token and the sign-in codes out of uvicorn's
log lines, however the query string spells its key (``tok%65n=``) and in the
headers logged at debug level.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, unquote_plus, urlsplit

from hiprom.server.devices import IDLE_S, Device, DeviceSessions
from hiprom.server.settings import is_loopback
from hiprom.server.signin import NOT_SIGNED_IN, SIGNED_OUT_PAGE, SIGNIN_PREFIX

COOKIE = "hiprom_device"
OLD_COOKIES = ("hiprom_token",)
"""Names of the cookies that held the access token itself (before device sessions): cleared at sign-in and
sign-out, never read."""
DEVICE_SCOPE_KEY = "hiprom.device"
"""Where the guard leaves the :class:`~hiprom.server.devices.Device` of a request from a signed-in browser."""
PUBLIC_PATHS = frozenset({"/health"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _host_count(scope) -> int:
    return sum(1 for k, _ in scope.get("headers", []) if k.lower() == b"host")


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: its own files only, never framed by another site."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", PAGE_CSP.encode()),
)


STATIC_PREFIX = "/static/"
"""The page's own files: no health data, so the browser may keep them."""
NO_STORE = (b"cache-control", b"no-store")
"""Health data (sessions, reports, exports, live figures) is never kept in the browser's disk cache."""


def same_origin(origin: str, scope, host: str) -> bool:
    """Whether a browser's ``Origin`` is this server: same scheme, host and port."""
    scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
    try:
        parts = urlsplit(origin.strip())
    except ValueError:  # e.g. "http://[::1": not an origin at all, so not this one
        return False
    return parts.scheme.lower() == scheme and parts.netloc.lower() == host.lower()


def from_another_site(headers: dict[str, str], method: str) -> bool:
    """Whether the browser says another site made this request, other than by following a link to a page.

    ``Sec-Fetch-Site`` is ``same-origin`` for the page's own requests and ``none`` for one the user
    typed; a link followed from another site (``Sec-Fetch-Mode: navigate``, a GET) may open a page.
    A request without the header (not from a browser, or an old one) is judged by ``Origin`` alone.
    """
    site = headers.get("sec-fetch-site", "").strip().lower()
    if site in ("", "same-origin", "none"):
        return False
    followed = headers.get("sec-fetch-mode", "").strip().lower() == "navigate" and method in ("GET", "HEAD")
    return not (followed and headers.get("sec-fetch-dest", "").strip().lower() not in ("object", "embed"))


def _port_name(scope, name: str) -> str:
    server = scope.get("server") or (None, None)
    return f"{name}_{server[1]}" if server[1] else name


def cookie_name(scope) -> str:
    """The name of the device cookie on this server: ``hiprom_device_PORT``, one per port of a host."""
    return _port_name(scope, COOKIE)


def device_cookie(scope, secret: str) -> str:
    """The ``Set-Cookie`` value that signs a browser in to this server (``secret``: its device session's, never
    the token): HttpOnly, SameSite=Strict, whole site."""
    return f"{cookie_name(scope)}={secret}; HttpOnly; SameSite=Strict; Path=/"


def cleared_cookies(scope) -> list[str]:
    """The ``Set-Cookie`` values that sign a browser out of this server: its device cookie, and the cookies that
    held the token itself before (:data:`OLD_COOKIES`), expired at once with the attributes they were set with."""
    names = (cookie_name(scope), *(n for old in OLD_COOKIES for n in (_port_name(scope, old), old)))
    return [f"{name}=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/" for name in dict.fromkeys(names)]


def supplied_token(headers: dict[str, str]) -> str | None:
    """The token a script sends in a header (never read from the query string or a cookie)."""
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if "x-hiprom-token" in headers:
        return headers["x-hiprom-token"].strip()
    return None


def device_secret(scope, headers: dict[str, str]) -> str | None:
    """The secret of a device session a browser's cookie carries, or None."""
    if "cookie" not in headers:
        return None
    jar = SimpleCookie()
    try:
        jar.load(headers["cookie"])
    except Exception:  # noqa: BLE001 - a malformed cookie is just no sign-in
        return None
    name = cookie_name(scope)
    return jar[name].value if name in jar and jar[name].value else None


def in_query(scope) -> bool:
    """Whether the query string names a ``token`` (which is not read: the address would keep it)."""
    return "token" in parse_qs(scope.get("query_string", b"").decode("latin-1"))


def open_path(path: str) -> bool:
    """The paths anyone may open: liveness, and the sign-in links (their code is the proof)."""
    return path in PUBLIC_PATHS or path.startswith(SIGNIN_PREFIX)


NO_TOKEN = ("a valid access token is required: a browser signs in with a sign-in link printed by 'hiprom serve', "
            "a script sends the token as 'Authorization: Bearer TOKEN'")
SIGNED_OUT = (f"this device was signed out (from a signed-in device or the computer, or after {IDLE_S / 3600:.0f} "
              "hours unused): ask at the computer running hiprom for a new sign-in link")
SIGNED_OUT_REASON = "This device was signed out: ask at the computer running hiprom for a new sign-in link."
"""The close reason of a WebSocket whose device is signed out while it is open (a close reason is 123 bytes at most)."""
NO_TOKEN_IN_QUERY = ("the access token is not taken from the address (?token=): browsers keep addresses in their "
                     "history; send it as 'Authorization: Bearer TOKEN', or sign in with a link printed by 'hiprom serve'")


class AccessGuard:
    """ASGI middleware: host, origin and token checks (see the module docstring).

    Args:
        app: the wrapped ASGI app.
        token: required token, or None for no token (loopback only).
        loopback_only: the server is bound to loopback; check the Host header.
    """

    def __init__(self, app, token: str | None = None, loopback_only: bool = True,
                 devices: DeviceSessions | None = None) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only
        self.devices = devices if devices is not None else DeviceSessions()

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        host = headers.get("host", "")
        if _host_count(scope) > 1:
            await self._deny(scope, send, 400, "a request names one host; this one named several")
            return
        if self.loopback_only and not is_loopback(_hostname(host)):
            await self._deny(scope, send, 403, f"host {host!r} is not this machine; open http://127.0.0.1 instead")
            return
        origin = headers.get("origin")
        method = scope.get("method", "GET")
        unsafe = kind == "websocket" or method not in SAFE_METHODS
        if origin is not None and unsafe and not same_origin(origin, scope, host):
            await self._deny(scope, send, 403, f"requests from {origin!r} are not allowed")
            return
        if from_another_site(headers, method):
            await self._deny(scope, send, 403, "requests made by another site are not allowed; open this page itself")
            return
        device: Device | None = None
        if self.token is not None and not open_path(scope["path"]):
            token = supplied_token(headers)
            secret = None if token is not None else device_secret(scope, headers)
            device = self.devices.seen(secret) if secret is not None else None
            if device is None and (token is None or not hmac.compare_digest(token.encode(), self.token.encode())):
                detail = NO_TOKEN_IN_QUERY if in_query(scope) else SIGNED_OUT if secret is not None else NO_TOKEN
                await self._deny(scope, send, 401, detail,
                                 page=kind == "http" and "text/html" in headers.get("accept", ""),
                                 signed_out=secret is not None)
                return
            if device is not None:
                scope[DEVICE_SCOPE_KEY] = device
        added = list(SECURITY_HEADERS) if kind == "http" else []
        if kind == "http" and not scope["path"].startswith(STATIC_PREFIX):
            added.append(NO_STORE)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in added if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        inner = send_with_headers if added else send
        if device is None:
            await self.app(scope, receive, inner)
        else:
            await self._while_signed_in(device, scope, receive, inner)

    async def _while_signed_in(self, device: Device, scope, receive, send) -> None:
        """Run a signed-in device's request, ending it if the device is signed out before it ends (a WebSocket
        closed with 1008 and :data:`SIGNED_OUT_REASON`, the preview's endless answer ended); the request counts
        as the device being in use while it lasts."""
        loop = asyncio.get_running_loop()
        signed_out = asyncio.Event()
        closed = self.devices.opened(device.id, lambda: loop.call_soon_threadsafe(signed_out.set))
        ended = False  # the last message of the answer (or the close) is sent: nothing more goes out
        started = False  # an HTTP answer has begun (one not begun yet, e.g. its own Sign out's, is left to finish)
        lock = asyncio.Lock()
        websocket = scope["type"] == "websocket"

        async def guarded_send(message) -> None:
            nonlocal ended, started
            async with lock:
                if ended:
                    if websocket:
                        return  # the app's own close, or a message racing the sign-out's close
                    raise OSError("the device was signed out")  # a stream's next part: it ends there
                started = started or message["type"] == "http.response.start"
                ended = message["type"] == "websocket.close" or (
                    message["type"] == "http.response.body" and not message.get("more_body", False))
                await send(message)

        async def end_when_signed_out() -> None:
            nonlocal ended
            await signed_out.wait()
            async with lock:
                if ended or not (websocket or started):
                    return
                ended = True
                last = ({"type": "websocket.close", "code": 1008, "reason": SIGNED_OUT_REASON} if websocket
                        else {"type": "http.response.body", "body": b"", "more_body": False})
                try:
                    await send(last)
                except Exception:  # noqa: BLE001 - the connection went meanwhile: nothing left to end
                    pass

        watcher = asyncio.create_task(end_when_signed_out())
        try:
            await self.app(scope, receive, guarded_send)
        except OSError:
            if not signed_out.is_set():
                raise
        finally:
            watcher.cancel()
            closed()

    @staticmethod
    async def _deny(scope, send, status: int, detail: str, page: bool = False, signed_out: bool = False) -> None:
        """Refuse: a WebSocket closed before it opens, a browser's page (``page``) in words, else ``{"detail"}``.
        A device ``signed_out`` gets the page saying so (its cookie is left: a reload says so again)."""
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            return
        body, kind = ((SIGNED_OUT_PAGE if signed_out else NOT_SIGNED_IN), b"text/html; charset=utf-8") if page else (
            json.dumps({"detail": detail}).encode(), b"application/json")
        headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS, NO_STORE]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


_SIGNIN_CODE = re.compile(re.escape(SIGNIN_PREFIX) + r"[^\s?#\"']+")
_QUERY_PAIR = re.compile(r"(?P<key>[^?&=\s\"']+)=(?P<value>[^&\s\"']*)")
_SECRET_HEADER = re.compile(r"\b(authorization|x-hiprom-token|cookie|set-cookie)(\s*:\s*)(.+)", re.IGNORECASE)
_SECRET_HEADERS = frozenset({"authorization", "x-hiprom-token", "cookie", "set-cookie"})
REDACTED = "[redacted]"


class RedactTokens(logging.Filter):
    """A log filter that keeps the access token and the sign-in codes out of every line it passes.

    Installed on uvicorn's loggers: their access and WebSocket lines print the
    request's path with its query string, and at debug level the WebSocket
    handshake's headers, one ``(name, value)`` pair per line.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Arguments are redacted one by one: uvicorn's access formatter unpacks them.
        if isinstance(record.args, tuple):
            args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
            if len(args) >= 2 and isinstance(args[0], str) and args[0].strip().lower() in _SECRET_HEADERS:
                args = (args[0], REDACTED, *args[2:])
            record.args = args
        if isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        return True


def _secret_key(key: str) -> bool:
    """Whether a ``key=value`` pair holds a secret: ``token``, or a device (or old token) cookie's name (any port)."""
    key = unquote_plus(key).strip().lower()
    return key == "token" or any(key == name or key.startswith(name + "_") for name in (COOKIE, *OLD_COOKIES))


def _redact(text: str) -> str:
    """``text`` with every sign-in code, the value of every query ``token=`` (its key decoded first) and of
    every secret header replaced."""
    if SIGNIN_PREFIX in text:
        text = _SIGNIN_CODE.sub(SIGNIN_PREFIX + REDACTED, text)
    if "=" in text:
        text = _QUERY_PAIR.sub(lambda m: f"{m['key']}={REDACTED}" if _secret_key(m["key"]) else m[0], text)
    if _SECRET_HEADER.search(text):
        text = _SECRET_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    return text


def redact_tokens_in(*logger_names: str) -> None:
    """Install one :class:`RedactTokens` on each named logger (once, however often called)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
