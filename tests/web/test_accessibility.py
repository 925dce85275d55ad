"""The page as people meet it who do not use it by sight and mouse at 100 %: a screen reader, the keyboard,
Windows high contrast, red-green colour blindness, 200 % zoom.

One guided test of the demo subject, run by keyboard, serves every check of its results; the zoom
check loads the page once more in a window of 640x360 (a 1280x720 laptop at 200 %).
"""

from __future__ import annotations

import re
import time

import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

from .test_page import LIVE_REGIONS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FRAMES = "() => Number(document.body.dataset.frames || 0) > 5"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path_factory.mktemp("db") / "r.db"))
    with serve_in_thread(settings) as url:
        yield url


def focused(page) -> dict[str, str]:
    """What a screen reader says of the focused element: its role, name and description (Chrome's accessibility tree)."""
    cdp = page.context.new_cdp_session(page)
    obj = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})["result"]["objectId"]
    node = cdp.send("DOM.describeNode", {"objectId": obj})["node"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"backendNodeId": node["backendNodeId"], "fetchRelatives": False})
    me = ax["nodes"][0]
    cdp.detach()
    return {key: (me.get(key) or {}).get("value", "") for key in ("role", "name", "description")}


@pytest.fixture(scope="module")
def finished(launch, demo_url):
    """A page that ran one guided test by keyboard, with what a screen reader said when its results came."""
    context = launch().new_context(viewport={"width": 1366, "height": 800}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo_url + "/")
    page.wait_for_function(FRAMES, timeout=10_000)
    page.locator("body").press("Space")
    page.wait_for_selector("#results:not([hidden])", timeout=60_000)
    yield page, focused(page)
    context.close()
    assert not errors, errors


def test_a_finished_test_takes_the_reader_to_its_results_and_their_verdict(finished):
    page, said = finished
    assert said["role"] == "heading" and said["name"] == "Results", said  # not left on "Start test", unaware
    assert said["description"] == page.locator("#asym-badge").inner_text() != "", said  # the left/right answer
    # The page's one top heading says what it is (axe: "page-has-heading-one").
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_role("heading", level=1, name=re.compile(r"^hiprom\b")).count() == 1


def test_making_the_pdf_is_announced_once_not_every_second(finished):
    page, _ = finished
    # A report that takes 2.5 s to make (the demo's takes 3-8 s on a busy machine).
    page.route("**/slow-report.pdf", lambda route: (time.sleep(2.5), route.fulfill(
        status=200, body=b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")))
    page.evaluate("import('/static/state.js').then((m) => { m.app.reportUrl = '/slow-report.pdf'; })")
    page.evaluate(LIVE_REGIONS)
    page.locator("body").press("d")
    page.wait_for_function("() => /PDF ready/.test(document.getElementById('save-status').textContent)", timeout=15_000)
    said = [words for region, words in page.evaluate("window.__announced") if region == "save-status"]
    assert len(said) == 2 and said[0].startswith("Making the PDF…") and said[1].startswith("PDF ready"), said