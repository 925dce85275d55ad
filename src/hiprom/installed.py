"""Where the files hiprom reads from outside its package are: the page and the manual.

A source checkout keeps them at the repository root (``web/``, ``README.md``,
``docs/``); a wheel installs them under ``<prefix>/share`` (``pyproject.toml``'s
data-files), because they are not Python modules. ``SHARE_WEB`` and
``SHARE_DOCS`` are those places relative to the prefix, so the code that looks
and the packaging test that checks the wheel name the same folders.
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import hiprom

SHARE_WEB = PurePosixPath("share/hiprom/web")
"""The page's folder in an installation, relative to ``sys.prefix``."""
SHARE_DOCS = PurePosixPath("share/doc/hiprom")
"""The manual's folder (``README.md`` and ``docs/``) in an installation, relative to ``sys.prefix``."""


def checkout_root() -> Path:
    """The repository root this package would sit in if it runs from a source checkout (``<root>/src/hiprom``)."""
    return Path(hiprom.__file__).resolve().parents[2]


def web_candidates() -> list[Path]:
    """Folders that may hold the page (``index.html``), in the order they are tried."""
    return [checkout_root() / "web", Path(sys.prefix) / SHARE_WEB]


def docs_dir() -> Path | None:
    """The folder holding ``README.md`` and ``docs/``: the checkout's, else the installed copy; None if neither."""
    for folder in (checkout_root(), Path(sys.prefix) / SHARE_DOCS):
        if (folder / "README.md").is_file() and (folder / "docs").is_dir():
            return folder
    return None
