"""``hiprom signin-link``: a new one-use sign-in link of the ``hiprom serve`` running on this machine; the way the
CLI asks that server (``hiprom devices`` too)."""

from __future__ import annotations

import os

import click

from hiprom.errors import InputError, OutputError

TOKEN_ENV = "HIPROM_SERVE_TOKEN"


def server_token(port: int) -> str:
    """The access token of the server on ``port``: ``HIPROM_SERVE_TOKEN`` when set (a token given to the server),
    else the one ``hiprom serve`` made and kept in its owner-only file.

    Raises:
        InputError: neither is there (no server with a token on that port, or it was given another way).
    """
    from hiprom.cli.serve_cmd import token_file

    given = os.environ.get(TOKEN_ENV, "").strip()
    if given:
        return given
    path = token_file(port)
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise InputError(f"no token of a server on port {port} in {path}: start 'hiprom serve --host ...' there, "
                         f"give --port its port, or set {TOKEN_ENV} to the token you gave it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the server's token ({exc.strerror}); run this as the user "
                         "running 'hiprom serve'") from None


def ask_server(host: str, port: int, method: str, path: str, *expected: int):
    """Send ``method path`` to the ``hiprom serve`` at ``host``:``port`` with its token (:func:`server_token`);
    returns the ``httpx.Response`` when its status is one of ``expected``.

    Raises:
        InputError: nothing answers there, or it refuses (another token, a server that needs no sign-in).
        OutputError: it answers something else.
    """
    import httpx

    token = server_token(port)
    where = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
    try:
        r = httpx.request(method, f"http://{where}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    except httpx.HTTPError:
        raise InputError(f"nothing answers on {where}: is 'hiprom serve' running there? Give its --port") from None
    if r.status_code in expected:
        return r
    if r.status_code == 409:
        raise InputError(f"the server on {where} needs no sign-in: open it on this machine as it is")
    if r.status_code == 401:
        raise InputError(f"the server on {where} refused the token: set {TOKEN_ENV} to the token you gave it, "
                         "or check --port")
    raise OutputError(f"the server on {where} answered {r.status_code} to {method} {path}")


def local_host(host: str) -> str:
    """The address to reach a server listening on ``host`` from this machine (every address: loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host


def server_options(command):
    """The options naming the running server: ``--port`` and ``--host``."""
    command = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to reach it by, when it listens on one address only (not 0.0.0.0).")(command)
    return click.option("--port", envvar="HIPROM_SERVE_PORT", default=8000, show_default=True,
                        type=click.IntRange(1, 65535), help="Port of the running 'hiprom serve'.")(command)


@click.command("signin-link")
@server_options
def signin_link(port: int, host: str) -> None:
    """Print a new one-use sign-in link of the 'hiprom serve' running on this machine.

    For a server whose output goes to a log (a service): its links are not
    printed there, where others may read them. The link works once, within
    5 minutes. Run it as the user running the server: it reads the token
    from the file only that user can read (or HIPROM_SERVE_TOKEN).
    """
    click.echo(ask_server(local_host(host), port, "POST", "/api/signin-links", 201).json()["url"])
