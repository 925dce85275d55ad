"""The page's figures (web/numbers.js) as the Python writes them (hiprom.rounding), run on the same values."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hiprom.assessment.wording import degrees
from hiprom.rounding import percent

WEB = Path(__file__).resolve().parents[2] / "web"
ORIGIN = "http://hiprom.test"

TIES = [0.25, -0.25, 0.75, 12.5, 13.5, 62.5, -62.5, 0.5, -0.5, 1.5, 2.5, 87.5, 0.125, 0.375, 1.0625]
"""Exact halves in binary, where Python rounds to even and toFixed rounds up (62.5 to no decimals: 62, not 63)."""
NEAR = [0.0, -0.0, 0.04, 0.05, -0.05, 0.049999, 0.15, 0.35, 2.675, 1.45, -1.45, 99.95, 100.05, 27.0, -4.1, 123456.25]


def serve_web(route) -> None:
    """The page's modules from web/, and an empty page to import them into (no server needed)."""
    name = route.request.url.removeprefix(f"{ORIGIN}/")
    if name.endswith(".js"):
        route.fulfill(path=str(WEB / name), content_type="text/javascript")
    else:
        route.fulfill(body="<!doctype html><title>numbers</title>", content_type="text/html")


def test_the_pages_percentages_and_angles_round_as_the_python_does(launch):
    """Each value through the page's ``percent`` (0 to 2 decimals), ``degrees`` and ``signedDegrees`` in
    Chromium, and through ``hiprom.rounding.percent`` and ``wording.degrees``: the same text. Before, an
    exact half went up on the page ("63%" on the dial for 25° of a 40° reference, "0.3°" for 0.25) and to
    even everywhere else ("62%", "0.2°")."""
    rng = np.random.default_rng(7)
    values = TIES + NEAR + [float(x) for x in np.round(rng.uniform(-150.0, 150.0, 200) * 8) / 8] \
        + [float(x) for x in rng.uniform(-150.0, 150.0, 100)]
    page = launch().new_page()
    page.route(f"{ORIGIN}/**", serve_web)
    page.goto(f"{ORIGIN}/")
    shown = page.evaluate(
        """(values) => import('/numbers.js').then((m) => values.map((v) =>
             [m.percent(v, 0), m.percent(v, 1), m.percent(v, 2), m.degrees(v), m.signedDegrees(v)]))""",
        values)
    expected = [[percent(v, 0), percent(v, 1), percent(v, 2), degrees(v), degrees(v, signed=True)] for v in values]
    wrong = [(v, got, want) for v, got, want in zip(values, shown, expected) if got != want]
    assert not wrong, wrong[:10]
    assert page.evaluate("import('/numbers.js').then((m) => [m.percent(null), m.percent(NaN)])") == ["—", "—"]
