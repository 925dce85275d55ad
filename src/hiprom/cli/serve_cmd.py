"""``hiprom serve``: the live page on this machine (uvicorn + FastAPI)."""

from __future__ import annotations

import logging
import secrets
import socket
import sys

import click

from hiprom.cli.options import db_option, model_option, paper_option


def access_token(host: str, token: str | None) -> str | None:
    """The token to require: the one given, a new one for a non-loopback host, else None."""
    from hiprom.server.settings import is_loopback

    if token:
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


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
    127.0.0.1 only. Listening on another address needs a token, which is
    printed with the address to open when it is made here (one given with
    --token or HIPROM_SERVE_TOKEN is not printed: you know it).
    """
    from hiprom.server.app import create_app
    from hiprom.source import SourceSpec
    from hiprom.server.runner import bind_socket, make_server
    from hiprom.server.settings import ServerSettings, is_loopback

    SourceSpec.parse(source).check()
    from hiprom.store.location import require_named_store

    require_named_store(db)  # a mistyped --db or HIPROM_DB_URL is refused here, not a new empty store
    given = bool(token)
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
    app = create_app(settings)
    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    shown = host if is_loopback(host) or host not in ("0.0.0.0", "::") else socket.gethostname()
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    url = f"http://{shown}:{bound_port}/"
    if token and given:
        click.echo(f"hiprom: live page at {url}?token=YOUR-TOKEN (the token you gave; every page and API call needs it)")
    elif token:
        click.echo(f"hiprom: live page at {url}?token={token}")
        click.echo(f"hiprom: access token {token} (needed by every page and API call from other machines)")
    else:
        click.echo(f"hiprom: live page at {url}")
    click.echo(f"hiprom: source {SourceSpec.parse(source).label}; press Ctrl+C to stop")
    try:
        make_server(app, log_level).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl+C after a clean shutdown: that is the normal stop
        pass
    click.echo("hiprom: server stopped")
