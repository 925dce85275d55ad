"""What the CLI prints where the terminal cannot show a character: one fallback for every command.

Figures and names carry ``°``, ``±``, ``×``, the minus sign ``−``, dashes, accents
and any script a pseudonym is written in. A terminal or file whose encoding lacks
one of them (``PYTHONIOENCODING=ascii``, ``LC_ALL=C`` with UTF-8 mode off, a
Windows console in cp1252) would end the command with ``UnicodeEncodeError``.
:func:`fit_streams` makes stdout and stderr write such a character in a form
the encoding has instead: the ASCII form of a symbol (``31.9 deg``, ``+/-``,
``-``), a letter without its accent (``José`` -> ``Jose``), else ``?``.
Characters the encoding has are written as they are (cp1252 keeps ``°`` and ``é``).
"""

from __future__ import annotations

import codecs
import sys
import unicodedata
from typing import TextIO

ERRORS = "hiprom-plain"
"""The name of the codec error handler :func:`fit_streams` sets on stdout and stderr."""

ASCII_FORMS: dict[str, str] = {
    "°": " deg", "±": "+/-", "×": "x", "−": "-", "–": "-", "—": "-", "‑": "-", "·": "-",
    "…": "...", "≤": "<=", "≥": ">=", "≈": "~", "→": "->", "←": "<-", "’": "'", "‘": "'",
    "“": '"', "”": '"', "•": "*", "✓": "yes", "✗": "no", "\u00a0": " ", "\u202f": " ",
}
"""Symbols hiprom prints, and what stands for each where the output's encoding lacks it."""


def plain_form(char: str) -> str:
    """The ASCII stand-in of one character: its form in ``ASCII_FORMS``, else its letters without accents, else '?'."""
    if char in ASCII_FORMS:
        return ASCII_FORMS[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if c.isascii() and c.isprintable())
    return bare or "?"


def _plain(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the unencodable run of ``error.object`` in its plain forms."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(plain_form(c) for c in error.object[error.start:error.end]), error.end


codecs.register_error(ERRORS, _plain)


def fit_streams() -> None:
    """Make stdout and stderr write characters their encoding lacks in plain forms instead of failing."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=ERRORS)


def fitted(text: str, stream: TextIO | None = None) -> str:
    """``text`` as ``stream`` (stdout by default) will show it: with plain forms for what its encoding lacks.

    Tables fit their cells before Rich measures them, so a ``±`` heading that prints as ``+/-``
    keeps its column's figures under it.
    """
    encoding = getattr(stream if stream is not None else sys.stdout, "encoding", None) or "utf-8"
    try:
        return text.encode(encoding, ERRORS).decode(encoding)
    except LookupError:  # an encoding Python does not know: leave the text to the stream
        return text
