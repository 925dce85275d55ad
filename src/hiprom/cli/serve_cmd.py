"""``hiprom serve``: the live page on this machine (uvicorn + FastAPI)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from hiprom.cli.options import db_option, model_option, paper_option

if TYPE_CHECKING:
    from hiprom.server.signin import SignInCodes


def access_token(host: str, token: str | None) -> str | None:
    """The token to require: the one given, a new one for a non-loopback host, else None."""
    from hiprom.server.settings import is_loopback

    if token:
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


def token_file(port: int) -> Path:
    """Where ``hiprom serve`` keeps a token it made for the server on ``port``: the data folder (docs/store.md)."""
    from hiprom.store.location import data_dir

    return data_dir() / f"serve-{port}.token"


def link_file(port: int) -> Path:
    """Where ``hiprom serve`` keeps the current sign-in link of the server on ``port`` when its output is not a
    terminal (a service's log): beside the token file."""
    return token_file(port).with_suffix(".signin")


def devices_file(port: int) -> Path:
    """Where the server on ``port`` keeps its signed-in devices, so that they stay signed in when it restarts:
    beside the token file (owner-only; it holds no secret that signs a device in, only their digests)."""
    return token_file(port).with_suffix(".devices")


def keep_secret(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` in one step (a reader sees the old or the new whole), readable by its owner
    only (0600, in a 0700 folder if new); returns it.

    Raises:
        OutputError: the file cannot be written.
    """
    from hiprom.atomic import atomic_write

    with atomic_write(path, "w") as fh:
        fh.write(text + "\n")
    return path


class LinkKeeper:
    """The announced sign-in link kept in an owner-only file, renewed as soon as it expires (nobody watches a
    service's log to try it and get a new one), removed when the server stops.

    Args:
        path: the file (:func:`link_file`).
        url: the page's address, which the links continue.
        check_s: seconds between checks that the link kept still works.
    """

    def __init__(self, path: Path, url: str, check_s: float = 2.0) -> None:
        self.path = path
        self.url = url
        self._check_s = check_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def keep(self, path: str) -> None:
        """Write the link ``self.url`` + ``path`` (``/signin/CODE``); a failure is a warning (the server goes on)."""
        from hiprom.errors import OutputError

        try:
            keep_secret(self.path, self.url.rstrip("/") + path)
        except OutputError as exc:
            logging.getLogger("hiprom").warning("the sign-in link could not be kept: %s", exc)

    def start(self, codes: SignInCodes) -> None:
        """Renew ``codes``' announced link whenever it expires, until :meth:`stop`."""
        def renew() -> None:
            while not self._stop.wait(self._check_s):
                codes.renew_announced()

        self._thread = threading.Thread(target=renew, name="hiprom-signin-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and remove the file: its link ends with the server."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
        with contextlib.suppress(OSError):
            self.path.unlink()


class _Terminated(Exception):
    """SIGTERM reached ``hiprom serve`` (a service manager's stop, ``kill``, ``timeout``)."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated


def address_lines(url: str, token: str | None, kept: Path | None) -> list[str]:
    """What ``hiprom serve`` prints about where to open the page and where a script finds the token.

    The token itself is never printed: a browser signs in with a one-use link (:func:`sign_in_line`), a
    script reads a token made here from the owner-only file ``kept``; a token given (``--token``,
    ``HIPROM_SERVE_TOKEN``) is one its owner knows.
    """
    if token is None:
        return [f"hiprom: live page at {url}"]
    lines = [f"hiprom: live page at {url} (reachable from other devices: each one signs in once, with a sign-in link)"]
    if kept is not None:
        lines.append(f"hiprom: scripts send the token kept in {kept} (readable by you only; a new one at every "
                     "start) as 'Authorization: Bearer TOKEN'")
    return lines


def sign_in_line(url: str, path: str) -> str:
    """The line that shows a fresh one-use sign-in link (``path``, ``/signin/CODE``) of the server at ``url``."""
    from hiprom.server.signin import CODE_TTL_S

    return (f"hiprom: to sign in a device, open {url.rstrip('/')}{path} on it (works once, within "
            f"{CODE_TTL_S / 60:.0f} minutes; a new link is shown here once it is used)")


def link_kept_line(kept: Path, port: int) -> str:
    """The line a log gets instead of the sign-in links (:func:`sign_in_line`): where the current one is kept,
    and the command that prints a new one."""
    from hiprom.server.signin import CODE_TTL_S

    return (f"hiprom: to sign in a device, open on it the link kept in {kept} (readable by you only; works once, "
            f"within {CODE_TTL_S / 60:.0f} minutes, and is replaced when used or expired), or the one that "
            f"'hiprom signin-link --port {port}' prints on this machine")


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s hiprom %(levelname)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("hiprom")
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False


@click.command()
@click.option("--host", envvar="HIPROM_SERVE_HOST", default="127.0.0.1", show_default=True, help="Address to listen on; anything but loopback needs a token.")
@click.option("--port", envvar="HIPROM_SERVE_PORT", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0 = any free port).")
@click.option(
    "--source",
    envvar="HIPROM_SERVE_SOURCE",
    default="0",
    show_default=True,
    help="Camera index, video file, REC.landmarks.npz recording, or 'demo' (a synthetic guided test).",
)
@click.option("--loop", envvar="HIPROM_SERVE_LOOP", is_flag=True, help="Start a video or recording again when it ends.")
@model_option(envvar="HIPROM_SERVE_MODEL")
@click.option("--mirrored", envvar="HIPROM_SERVE_MIRRORED", is_flag=True, help="The camera picture is left-right flipped (selfie view).")
@click.option("--clinic", envvar="HIPROM_SERVE_CLINIC", is_flag=True,
              help="The page is a clinic's: it hands programs over and takes in a patient's file from home from the "
                   "first patient on (without it, once the records hold a program kept or a second patient).")
@click.option("--token", envvar="HIPROM_SERVE_TOKEN", default=None, help="Access token for pages and API; generated when needed and not given.")
@db_option(envvar="HIPROM_SERVE_DB")
@click.option("--web-dir", envvar="HIPROM_SERVE_WEB_DIR", default=None, type=click.Path(file_okay=False), help="Folder of the page (default: web/ of the checkout or the installed copy).")
@click.option("--speed", envvar="HIPROM_SERVE_SPEED", default=1.0, show_default=True, type=click.FloatRange(0.01, 100), help="Play files this many times faster than real time.")
@paper_option(envvar="HIPROM_SERVE_PAPER")
@click.option("--log-level", envvar="HIPROM_SERVE_LOG_LEVEL", default="info", show_default=True, type=click.Choice(["debug", "info", "warning", "error"]))
def serve(
    host: str,
    port: int,
    source: str,
    loop: bool,
    model: str | None,
    mirrored: bool,
    clinic: bool,
    token: str | None,
    db: str | None,
    web_dir: str | None,
    speed: float,
    paper: str | None,
    log_level: str,
) -> None:
    """Serve the live page and the guided self-test (opens nothing by itself).

    Health data stays on this machine: by default the server listens on
    127.0.0.1 only. Listening on another address needs a token, never
    printed: each device signs in once with a one-use sign-in link, shown
    on a terminal (a new one each time the last is used; a signed-in page
    makes more with Add a device). Output to a log (a service, a file)
    gets no link: it gets the path of a file only you can read that holds
    the current one, and the command that prints a new one on this
    machine ('hiprom signin-link --port PORT'). Scripts send the token as 'Authorization: Bearer TOKEN': one made
    here is kept in a file only you can read, whose path is printed; one
    given with --token or HIPROM_SERVE_TOKEN you know.
    """
    from hiprom.server.app import create_app
    from hiprom.malloc import limit_malloc_arenas
    from hiprom.source import SourceSpec
    from hiprom.server.runner import bind_socket, make_server
    from hiprom.server.devices import DeviceSessions
    from hiprom.server.settings import ServerSettings, page_address
    from hiprom.server.signin import SignInCodes

    SourceSpec.parse(source).check()
    from hiprom.store.location import require_named_store

    require_named_store(db)  # a mistyped --db or HIPROM_DB_URL is refused here, not a new empty store
    given = bool(token)
    if given and click.get_current_context().get_parameter_source("token") == ParameterSource.COMMANDLINE:
        click.echo("hiprom: warning: a token given with --token is seen by every user of this machine "
                   "(in the process list); set HIPROM_SERVE_TOKEN instead", err=True)
    token = access_token(host, token)
    settings = ServerSettings(
        host=host,
        port=port,
        source=source,
        loop=loop,
        model=model,
        mirrored=mirrored,
        clinic=clinic,
        token=token,
        db=db,
        web_dir=web_dir,
        replay_speed=speed,
        **({"paper": paper} if paper else {}),
    )
    _setup_logging(log_level)
    limit_malloc_arenas()  # before any thread: each new one otherwise keeps its own freed memory
    # On a terminal the person at the machine reads each link; a log (a service's, a file) may be read by others
    # within a link's minutes, so it gets where the link is kept, readable by the server's user only.
    links: LinkKeeper | None = None
    sign_in = SignInCodes(announce=lambda path: click.echo(sign_in_line(url, path)) if links is None
                          else links.keep(path)) if token else None
    # Port 0 is another port at every start, whose cookies no device holds: its devices are kept in memory only.
    devices = DeviceSessions(devices_file(port) if port else None) if token else None
    app = create_app(settings, sign_in, devices)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    url = page_address(host, bound_port)
    # uvicorn shuts down cleanly on SIGTERM as on Ctrl+C, then raises the signal again: with the default
    # action the process died there, before the token file below was removed. It raises _Terminated now.
    previous = signal.signal(signal.SIGTERM, _terminated)
    terminated = False
    kept = keep_secret(token_file(bound_port), token) if token and not given else None
    if sign_in is not None and not sys.stdout.isatty():
        links = LinkKeeper(link_file(bound_port), url)
    try:
        for line in address_lines(url, token, kept):
            click.echo(line)
        if sign_in is not None:
            sign_in.announce_new()
            if links is not None:
                click.echo(link_kept_line(links.path, bound_port))
                links.start(sign_in)
        click.echo(f"hiprom: source {SourceSpec.parse(source).label}; press Ctrl+C to stop")
        try:
            make_server(app, log_level).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after a clean shutdown: that is the normal stop
            pass
    except _Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        if links is not None:
            links.stop()
        if kept is not None:  # the token ends with the server
            with contextlib.suppress(OSError):
                kept.unlink()
    click.echo("hiprom: server stopped")
    if terminated:  # end by the signal, as before: exit status 143, a clean stop to a service manager
        signal.raise_signal(signal.SIGTERM)
