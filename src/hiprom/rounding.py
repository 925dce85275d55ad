"""The one rounding rule for every number hiprom shows or writes (JSON, CSV, page, PDF).

``rounded(x, nd)``: ``x`` rounded to ``nd`` decimals, ``None`` for NaN,
infinities and ``None``, and never ``-0.0`` (a "-0" on a page or in a table
reads as a direction). ``counted(n, noun)``: a count with its noun, ``1 frame``
or ``3 frames``, never "1 frames".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import SupportsFloat


def rounded(x: SupportsFloat | None, nd: int = 1) -> float | None:
    """``x`` to ``nd`` decimals; ``None`` for None, NaN and infinities; no negative zero."""
    if x is None:
        return None
    v = float(x)
    if not math.isfinite(v):
        return None
    return round(v, nd) + 0.0  # + 0.0 turns -0.0 into 0.0


def rounded_list(xs: Iterable[SupportsFloat | None], nd: int = 1) -> list[float | None]:
    """Each of ``xs`` through :func:`rounded`."""
    return [rounded(x, nd) for x in xs]


def counted(n: int, noun: str) -> str:
    """How many of a thing, in words: ``1 frame``, ``0 frames``, ``3 frames`` (nouns with a plain plural)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
