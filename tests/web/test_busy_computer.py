"""A computer too busy to measure the turns: the guided test stops, and the page says once what to do."""

from __future__ import annotations

import pytest

from hiprom.live.guide import TOO_BUSY
from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from tests.live.test_guide import _turn_losing_3_s, started_guide, trial_curve, feed

pytestmark = [pytest.mark.browser]


def _states_as_the_test_stops() -> tuple[dict, dict]:
    """The guide's state before and after the turn that stops the test: the second cut by a busy computer."""
    guide, _ = started_guide()
    _turn_losing_3_s(guide, 0.0, "busy")
    t, a = trial_curve(10.0, 35.0, "right", hold_s=4.0)
    first = t < 11.0
    told = t[first][[s["sub"] for s in feed(guide, t[first], a[first])].index("hold")]
    feed(guide, t[~first & (t <= told + 0.1)], a[~first & (t <= told + 0.1)])
    before = guide.state()
    guide.pictures_stopped_by("busy")
    after = [s for s in feed(guide, t[t >= told + 3.1], a[t >= told + 3.1]) if s["phase"] == "idle"][0]
    return before, after


def test_a_test_stopped_for_a_busy_computer_is_said_with_what_to_do(launch, tmp_path):
    """The guide stopped (its detail: what to do), and the page said only "Press Start test to begin the guided
    test", as for a test the person cancelled: someone listening, not looking, was not told why nor what to do."""
    before, after = _states_as_the_test_stops()
    assert after["detail"] == TOO_BUSY
    with serve_in_thread(ServerSettings(start_source=False, db=str(tmp_path / "r.db"))) as url:
        page = launch().new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url + "/")
        spoken = page.evaluate(
            "([before, after]) => import('/static/speech.js').then((m) => {"
            " const n = window.hiprom.spoken.length; m.speakGuide(null, before); m.speakGuide(before, after);"
            " return window.hiprom.spoken.slice(n).map((s) => s.text); })", [before, after])
        page.context.close()
    assert spoken[-1] == TOO_BUSY and spoken.count(TOO_BUSY) == 1, spoken
