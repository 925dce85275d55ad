"""``hiprom devices``: the devices signed in to the ``hiprom serve`` running on this machine, and signing one out
(a lost tablet) from the computer."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import click

from hiprom.cli.signin_link_cmd import ask_server, local_host, server_options
from hiprom.errors import InputError


def _local(when: str) -> str:
    """An API time (ISO 8601, UTC) as this computer's local day and time, e.g. ``Mon 09:41``."""
    return datetime.fromisoformat(when).astimezone().strftime("%a %H:%M")


def device_lines(listing: dict) -> list[str]:
    """The lines ``hiprom devices`` prints for ``GET /api/devices``: one per device, its id first."""
    if not listing["devices"]:
        return ["No device is signed in."]
    rows = [(d["id"], d["description"], f"signed in {_local(d['signed_in'])}", f"last used {_local(d['last_seen'])}")
            for d in listing["devices"]]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    return [*lines, f"A device not used for {listing['idle_hours']:g} hours is signed out by itself; "
                    "'hiprom devices sign-out ID' signs one out now."]


@click.group(invoke_without_command=True)
@server_options
@click.pass_context
def devices(ctx: click.Context, port: int, host: str) -> None:
    """List the devices signed in to the 'hiprom serve' running on this machine.

    Each device that opened a sign-in link is listed with its browser and
    system, when it signed in and when it was last used. Sign out a lost
    or lent tablet with 'hiprom devices sign-out ID': its page stops at
    once and it needs a new sign-in link. Run it as the user running the
    server (it reads the server's token, or HIPROM_SERVE_TOKEN).
    """
    ctx.obj = (local_host(host), port)
    if ctx.invoked_subcommand is None:
        listing = ask_server(*ctx.obj, "GET", "/api/devices", 200).json()
        click.echo("\n".join(device_lines(listing)))


@devices.command("sign-out")
@click.argument("device_id", required=False)
@click.option("--all", "every", is_flag=True, help="Sign out every device.")
@click.pass_obj
def sign_out(where: tuple[str, int], device_id: str | None, every: bool) -> None:
    """Sign out the device DEVICE_ID (as 'hiprom devices' lists it), or --all."""
    if every == (device_id is not None):
        raise InputError("name one device to sign out (its ID, as 'hiprom devices' lists it), or give --all")
    ids = ([d["id"] for d in ask_server(*where, "GET", "/api/devices", 200).json()["devices"]] if every
           else [device_id])
    for one in ids:
        gone = ask_server(*where, "DELETE", f"/api/devices/{quote(one, safe='')}", 204, 404).status_code == 404
        if gone and not every:
            raise InputError(f"no device is signed in as {one!r}: 'hiprom devices' lists them")
    click.echo(f"Signed out {len(ids)} device{'s' if len(ids) != 1 else ''}: "
               "each needs a new sign-in link to come back." if ids else "No device was signed in.")
