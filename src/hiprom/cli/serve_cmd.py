"""``hiprom serve``: the live page on this machine (uvicorn + FastAPI)."""

from __future__ import annotations

import contextlib
import logging
import secrets
import signal
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from hiprom.cli.options import db_option, model_option, paper_option


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


def keep_token(path: Path, token: str) -> Path:
    """Write ``token`` to ``path``, readable by its owner only (0600, in a 0700 folder if new); returns it.

    Raises:
        OutputError: the file cannot be written.
    """
    from hiprom.atomic import atomic_write

    with atomic_write(path, "w") as fh:
        fh.write(token + "\n")
    return path


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
    printed: each device signs in once with a one-use sign-in link (printed
    here, a new one each time the last is used; a signed-in page makes more
    with Add a device). Scripts send the token as 'Authorization: Bearer
    TOKEN': one made here is kept in a file only you can read, whose path
    is printed; one given with --token or HIPROM_SERVE_TOKEN you know.
    """
    from hiprom.server.app import create_app
    from hiprom.malloc import limit_malloc_arenas
    from hiprom.source import SourceSpec
    from hiprom.server.runner import bind_socket, make_server
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
        token=token,
        db=db,
        web_dir=web_dir,
        replay_speed=speed,
        **({"paper": paper} if paper else {}),
    )
    _setup_logging(log_level)
    limit_malloc_arenas()  # before any thread: each new one otherwise keeps its own freed memory
    sign_in = SignInCodes(announce=lambda path: click.echo(sign_in_line(url, path))) if token else None
    app = create_app(settings, sign_in)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    url = page_address(host, bound_port)
    # uvicorn shuts down cleanly on SIGTERM as on Ctrl+C, then raises the signal again: with the default
    # action the process died there, before the token file below was removed. It raises _Terminated now.
    previous = signal.signal(signal.SIGTERM, _terminated)
    terminated = False
    kept = keep_token(token_file(bound_port), token) if token and not given else None
    try:
        for line in address_lines(url, token, kept):
            click.echo(line)
        if sign_in is not None:
            sign_in.announce_new()
        click.echo(f"hiprom: source {SourceSpec.parse(source).label}; press Ctrl+C to stop")
        try:
            make_server(app, log_level).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after a clean shutdown: that is the normal stop
            pass
    except _Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, previous)
        if kept is not None:  # the token ends with the server
            with contextlib.suppress(OSError):
                kept.unlink()
    click.echo("hiprom: server stopped")
    if terminated:  # end by the signal, as before: exit status 143, a clean stop to a service manager
        signal.raise_signal(signal.SIGTERM)
