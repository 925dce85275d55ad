"""``hiprom models``: the pose model variants, where each is found; ``fetch`` one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import click

from hiprom.errors import ModelError


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@click.group(invoke_without_command=True)
@click.pass_context
def models(ctx: click.Context) -> None:
    """List the pose model variants and where each is found (see also: fetch)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(list_models)


@models.command("list")
def list_models() -> None:
    """List the variants, where each is found, and where downloads go."""
    from hiprom.pose.models import ENV_MODEL_DIR, ENV_OFFLINE, download_dir, is_offline, load_manifest, locate

    manifest = load_manifest()
    width = max(len(name) for name in manifest.names) + len(" (default)")
    for variant in manifest.variants.values():
        name = variant.name + (" (default)" if variant.name == manifest.default else "")
        path, _ = locate(variant)
        if path is None:
            where = "not found"
        else:
            official = path.stat().st_size == variant.size and _sha256(path) == variant.sha256
            where = f"{path} ({'official file' if official else 'own copy, used as given'})"
        click.echo(f"{name:<{width}}  {variant.size / 1e6:5.1f} MB  {where}")
    model_dir = os.environ.get(ENV_MODEL_DIR)
    target = download_dir()
    click.echo(f"looked in: ${ENV_MODEL_DIR} ({model_dir or 'not set'}), then {target.label} ({target.path})")
    state = f"off ({ENV_OFFLINE} is set)" if is_offline() else f"on first use, into {target.path}"
    click.echo(f"downloads: {state}; get one now with: hiprom models fetch VARIANT")


@models.command("fetch")
@click.argument("variant")
@click.option("--force", is_flag=True, help="Download again even if the file is already found.")
def fetch(variant: str, force: bool) -> None:
    """Download VARIANT (lite, full or heavy) into the download folder."""
    from hiprom.pose.download import download_model
    from hiprom.pose.models import ENV_OFFLINE, download_dir, is_offline, load_manifest, locate

    chosen = load_manifest().get(variant)
    found, _ = locate(chosen)
    if found is not None and not force:
        click.echo(f"{chosen.name}: already found at {found}; use --force to download it again")
        return
    if is_offline():
        raise ModelError(f"cannot download {chosen.file}: {ENV_OFFLINE} is set; unset it, or copy the file into a folder named by HIPROM_MODEL_DIR")
    path = download_model(chosen, download_dir().path)
    click.echo(f"{chosen.name}: downloaded to {path} ({chosen.size:,} bytes, SHA-256 verified)")
