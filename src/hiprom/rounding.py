"""The one rounding rule for every number hiprom shows or writes (JSON, CSV, page, PDF).

``rounded(x, nd)``: ``x`` rounded to ``nd`` decimals, ``None`` for NaN,
infinities and ``None``, and never ``-0.0`` (a "-0" on a page or in a table
reads as a direction). ``shown(x)``: a figure's text for people, with the
minus sign (U+2212) where JSON and CSV, written for programs, keep numbers
and their ASCII ``-``. ``counted(n, noun)``: a count with its noun, ``1 frame``
or ``3 frames``, never "1 frames". ``percent(x)``: a percentage for people, ``13.5%``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, SupportsFloat


def number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is missing, a bool, not a number (text), NaN or
    infinite: a figure read from a stored analysis, which may hold any of them."""
    if value is None or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def rounded(x: SupportsFloat | None, nd: int = 1) -> float | None:
    """``x`` to ``nd`` decimals; ``None`` for None, NaN and infinities; no negative zero."""
    if x is None:
        return None
    v = float(x)
    if not math.isfinite(v):
        return None
    return round(v, nd) + 0.0  # + 0.0 turns -0.0 into 0.0


MINUS = "\u2212"
"""The sign of a negative figure in text for people (page, PDF, CLI, sentences): "−4.1", not "-4.1"."""


def shown(x: SupportsFloat | None, nd: int = 1, signed: bool = False) -> str | None:
    """``x`` as text for people: :func:`rounded` to ``nd`` decimals, a negative with :data:`MINUS`
    ("−4.1"), a positive with "+" when ``signed`` (a change or a difference: "+6.3"), zero unsigned
    ("0.0", never "−0.0"); ``None`` when ``x`` is not a finite number."""
    v = rounded(x, nd)
    if v is None:
        return None
    text = f"{abs(v):.{nd}f}"
    if v < 0:
        return MINUS + text
    return ("+" if signed and v > 0 else "") + text


PERCENT = "%"
"""The sign of a percentage, closed up to its figure as the degree sign is ("13.5%", "27.0°"): how English
texts for lay readers write it (the page and every saved note, "could be measured in 85% of the frames",
always did), and nothing for a line, a table cell or a terminal to break at, where a space would let "13.5"
end one line and "%" start the next."""


def percent(x: SupportsFloat | None, nd: int = 1) -> str | None:
    """A percentage as text for people (page, PDF, CLI, sentences): :func:`shown` to ``nd`` decimals with
    :data:`PERCENT` closed up, "13.5%", "85%" (``nd=0``); ``None`` when ``x`` is not a finite number.
    The page's ``percent`` (``web/numbers.js``) writes the same (tested on the same values)."""
    text = shown(x, nd)
    return None if text is None else text + PERCENT


def rounded_list(xs: Iterable[SupportsFloat | None], nd: int = 1) -> list[float | None]:
    """Each of ``xs`` through :func:`rounded`."""
    return [rounded(x, nd) for x in xs]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """How many of a thing, in words: ``1 frame``, ``0 frames``, ``3 frames``; ``plural`` for a noun
    without a plain one (``counted(2, "person", "people")``)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
