"""Where the page (``web/``) is: given, installed beside the package, or in the checkout."""

from __future__ import annotations

from pathlib import Path

from hiprom.errors import ConfigError
from hiprom.installed import web_candidates


def candidates(explicit: Path | None = None) -> list[Path]:
    """Folders that may hold ``index.html``, in the order they are tried."""
    if explicit is not None:
        return [Path(explicit)]
    return web_candidates()


def find_web_dir(explicit: Path | None = None) -> Path:
    """The folder of the page; ``ConfigError`` naming what was tried when none has it."""
    tried = candidates(explicit)
    for folder in tried:
        if (folder / "index.html").is_file():
            return folder
    raise ConfigError(
        "the web page (index.html) was not found in " + ", ".join(str(p) for p in tried) + "; pass --web-dir"
    )
