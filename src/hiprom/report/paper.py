"""The paper every PDF is laid out on: A4 or US Letter, one setting for all of them.

The setting is ``HIPROM_PAPER`` (``a4`` or ``letter``); without it, the
machine's locale decides, as it does for the desktop's own print dialogs: the
locale that sets paper (``LC_ALL``, else ``LC_PAPER``, else ``LANG``, the
POSIX order) names a territory (``en_US.UTF-8`` -> ``US``), and the
territories whose glibc locales print on Letter get Letter. Anything else,
including no locale or ``C.UTF-8`` (a server, a container), gets A4, the
ISO 216 paper of most of the world. A command's ``--paper`` and the server's
``?paper=`` choose for one document.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from hiprom.errors import ConfigError, InputError

PaperName = Literal["a4", "letter"]

PAPER_ENV = "HIPROM_PAPER"

LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "PR", "CL", "CO", "CR", "GT", "NI", "PA", "SV", "VE", "BO"})
"""Territories whose locales set LC_PAPER to Letter (279 mm high) in glibc's localedata
(``/usr/share/i18n/locales``: en_US, en_CA, fr_CA, es_MX, en_PH, es_CL ... copy en_US)."""

_LOCALE = re.compile(r"^[A-Za-z]{2,3}_([A-Za-z]{2})(?:[.@]|$)")  # language_TERRITORY[.codeset][@modifier]


@dataclass(frozen=True)
class Paper:
    """A sheet of paper, portrait.

    Attributes:
        name: ``"a4"`` or ``"letter"`` (what ``--paper`` and ``HIPROM_PAPER`` take).
        words: its name for people: ``"A4"``, ``"US Letter"``.
        size_mm: (width, height) in millimetres.
        css_size: its CSS page-size keyword (``size: A4``, ``size: letter``).
    """

    name: PaperName
    words: str
    size_mm: tuple[float, float]
    css_size: str

    @property
    def size_pt(self) -> tuple[float, float]:
        """(width, height) in PostScript points (1/72 inch), as a PDF's MediaBox gives them."""
        return (round(self.size_mm[0] / 25.4 * 72, 1), round(self.size_mm[1] / 25.4 * 72, 1))

    @property
    def css(self) -> str:
        """The ``@page`` rule that lays a document out on this paper."""
        return f"@page {{ size: {self.css_size}; }}"


PAPERS: dict[str, Paper] = {
    "a4": Paper("a4", "A4", (210.0, 297.0), "A4"),
    "letter": Paper("letter", "US Letter", (215.9, 279.4), "letter"),
}


PAPER_PATTERN = "^(?:" + "|".join("".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in key)
                                   for key in PAPERS) + ")$"
"""The names :func:`paper` takes (any case), as a regular expression: the server's API describes its
``?paper=`` with it, so a client knows them from the schema."""


def paper(name: str) -> Paper:
    """The paper called ``name`` (``"a4"`` or ``"letter"``, any case).

    Raises:
        InputError: any other name.
    """
    try:
        return PAPERS[name.lower()]
    except KeyError:
        raise InputError(f"unknown paper {name!r}, expecting one of {{{', '.join(PAPERS)}}}") from None


def locale_paper(environ: Mapping[str, str]) -> Paper | None:
    """Letter or A4 from the territory of the locale that sets paper; ``None`` when it names none."""
    value = next((environ[k] for k in ("LC_ALL", "LC_PAPER", "LANG") if environ.get(k)), "")
    match = _LOCALE.match(value)
    if match is None:
        return None
    return PAPERS["letter" if match.group(1).upper() in LETTER_TERRITORIES else "a4"]


def default_paper(environ: Mapping[str, str] | None = None) -> Paper:
    """The paper set for this machine: ``HIPROM_PAPER``, else the locale's, else A4.

    Raises:
        ConfigError: ``HIPROM_PAPER`` holds another name than ``a4`` or ``letter``.
    """
    env = os.environ if environ is None else environ
    setting = env.get(PAPER_ENV, "").strip()
    if setting:
        try:
            return paper(setting)
        except InputError:
            raise ConfigError(f"{PAPER_ENV}={setting!r} is not a paper: set it to a4 or letter") from None
    return locale_paper(env) or PAPERS["a4"]


def chosen_paper(name: str | None) -> Paper:
    """The paper called ``name``, or the machine's setting when ``None`` (``default_paper``)."""
    return default_paper() if name is None else paper(name)
