"""Run the app under uvicorn: on a bound socket (``hiprom serve``) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hiprom.errors import InputError
from hiprom.server.settings import ServerSettings
from hiprom.server.devices import DeviceSessions
from hiprom.server.signin import SignInCodes


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen first, so a busy port is one clear message before anything starts."""
    name = host.strip("[]")
    family = socket.AF_INET6 if ":" in name else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((name, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); choose another --port") from None
    sock.listen(128)  # connections wait in the backlog until uvicorn has started: the printed address works at once
    sock.set_inheritable(True)
    return sock


def make_server(app, log_level: str = "info"):
    """A uvicorn server for ``app`` that ends the endless streams first when it stops.

    The MJPEG preview (``/video.mjpg``) never ends by itself, so uvicorn's
    graceful shutdown would wait for it and then cancel it, logging an ASGI
    traceback on every Ctrl+C. Here the preview is closed as soon as the
    shutdown begins: open previews end cleanly and the server stops at once.
    """
    import uvicorn

    from hiprom.server.app import end_streams

    class _Server(uvicorn.Server):
        async def shutdown(self, sockets=None) -> None:
            end_streams(app)
            await super().shutdown(sockets)

    return _Server(uvicorn_config(app, log_level))


def uvicorn_config(app, log_level: str = "info"):
    """The uvicorn settings hiprom uses (short graceful shutdown: the MJPEG stream never ends)."""
    import uvicorn

    from hiprom.server.protocol import MAX_MESSAGE_BYTES, BoundedHttpProtocol, BoundedWebSocketProtocol
    from hiprom.server.security import redact_tokens_in

    config = uvicorn.Config(
        app,
        http=BoundedHttpProtocol,  # a deadline and a size for each request's headers
        ws=BoundedWebSocketProtocol,  # a size for each WebSocket message, and a close that says so
        ws_max_size=MAX_MESSAGE_BYTES,
        log_level=log_level,
        access_log=log_level == "debug",
        timeout_graceful_shutdown=2,
        ws_ping_interval=20.0,
        lifespan="on",
    )
    # After uvicorn has set up its loggers: their lines print paths with query strings.
    redact_tokens_in("uvicorn", "uvicorn.error", "uvicorn.access")
    return config


@contextmanager
def serve_in_thread(
    settings: ServerSettings,
    bind_host: str = "127.0.0.1",
    log_level: str = "warning",
    send_buffer_bytes: int | None = None,
    port: int = 0,
    sign_in: SignInCodes | None = None,
    devices: DeviceSessions | None = None,
) -> Iterator[str]:
    """Run ``create_app(settings)`` under uvicorn on a free port (or ``port``) in a thread; yields its base URL.

    ``bind_host`` is where it really listens (loopback), whatever ``settings.host``
    says, so tests can check the non-loopback rules without exposing anything.
    ``send_buffer_bytes`` shrinks the kernel's send buffer of every connection
    (a slow network in miniature, for the slow-client tests). ``port`` lets a
    test start a server again where a page is still connected (a restart). ``sign_in``: the server's
    sign-in links (a test's own, to read what ``hiprom serve`` would print); ``devices``: its signed-in devices (kept in
    a test's file, to start the server again with them).
    """
    from hiprom.server.app import create_app

    app = create_app(settings, sign_in, devices)
    sock = bind_socket(bind_host, port)
    if send_buffer_bytes:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)  # accepted sockets inherit it
    port = sock.getsockname()[1]
    server = make_server(app, log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="hiprom-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30.0
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{bind_host}:{port}"
    finally:
        server.should_exit = True
        thread.join(20.0)
        sock.close()
