"""Issue 13 on the page, keyboard only, on the demo: test -> suggestions -> a counted exercise
-> test again -> the before/after table."""

from __future__ import annotations

import re

import httpx
import pytest

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_test_suggestions_counted_exercise_retest_by_keyboard(launch, tmp_path):
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        context = launch().new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=10_000)
        body = page.locator("body")

        body.press("Space")  # the guided test
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        page.wait_for_selector("#advice:not([hidden]) #advice-list li", timeout=10_000)
        advice = page.locator("#advice").inner_text()
        assert "What you can do about it" in advice
        assert "Chair rotation" in advice or "chair" in advice.lower()
        assert "below the 40–60° band" in advice and " deg" not in advice
        titles = page.eval_on_selector_all("#advice-list li strong", "els => els.map(e => e.textContent)")
        assert titles and all(t.endswith((" — left leg", " — right leg", " — both legs")) for t in titles), titles
        sides = page.eval_on_selector_all("#advice-list li", "els => els.map(e => e.dataset.side)")
        assert sides == sorted(sides, key=["left", "right", "both"].index)  # Left before Right
        # A screen reader hears each button alone: every one names its exercise and leg ("Timer" x4 did not).
        buttons = re.findall(r'button "([^"]+)"', page.locator("#advice-list").aria_snapshot())
        assert len(buttons) >= 2 and len(set(buttons)) == len(buttons), buttons
        assert all(b.endswith((", left leg", ", right leg", ", both legs")) for b in buttons), buttons

        body.press("s")
        page.wait_for_function("() => /Saved as session/.test(document.getElementById('save-status').textContent)")
        first = int(page.locator("#save-status").inner_text().split("session ")[1].split()[0].rstrip("."))

        body.press("e")  # the first suggestion the camera counts
        page.wait_for_selector("#exercise:not([hidden])", timeout=5_000)
        assert page.locator("#guide").is_hidden()
        page.wait_for_function("() => /^Rep \\d/.test(document.getElementById('exercise-say').textContent)",
                               timeout=90_000)
        spoken = page.evaluate("() => window.hiprom.spoken.map(s => s.text).join(' | ')")
        assert "Sit still" in spoken
        body.press("Enter")  # done
        page.wait_for_selector("#exercise[data-stored='yes']", timeout=10_000)
        stored = httpx.get(f"{url}/api/sessions/{first}/exercise-results").json()
        assert len(stored) == 1
        rec = stored[0]
        assert rec["exercise"].startswith("chair_rotation_") and rec["side"] in ("left", "right")
        assert len(rec["reps"]) >= 1 and len(rec["holds_s"]) == len(rec["peaks_deg"]) == len(rec["reps"])
        assert f"{rec['reps_done']} of {rec['reps_target']}" == page.locator("#exercise-count").inner_text()

        body.press("t")  # test again
        page.wait_for_selector("#exercise", state="hidden", timeout=5_000)
        page.wait_for_function("() => document.getElementById('guide').dataset.phase !== 'results'", timeout=10_000)
        page.wait_for_selector("#guide[data-phase='results']", timeout=120_000)
        page.wait_for_selector("#results:not([hidden])", timeout=10_000)
        body.press("s")
        page.wait_for_selector("#retest-table", timeout=15_000)
        rows = page.eval_on_selector_all("#retest-table tbody tr", "els => els.map(e => e.innerText)")
        assert len(rows) == 6 and rows[0].startswith("Left") and rows[3].startswith("Right")
        verdicts = page.eval_on_selector_all("#retest-table tbody tr", "els => els.map(e => e.dataset.verdict)")
        assert set(verdicts) <= {"improved", "no detectable change", "decreased"} and verdicts
        for row in rows:  # the figures as the PDF's re-test table and 'hiprom retest' give them, one decimal
            assert len(re.findall(r"\d+\.\d°", row)) == 3 and "−0.0°" not in row, row
        context.close()
    assert not errors, errors


def test_with_this_devices_camera_not_connected_a_counted_exercise_says_why(launch, tmp_path):
    """This device's camera counts the exercise too (tests/web/test_browser_camera.py); when it is not
    connected (no camera here), 'Do it with the camera' says so in the panel, with a way back."""
    settings = ServerSettings(start_source=False, db=str(tmp_path / "r.db"))  # a server for browser cameras
    with serve_in_thread(settings) as url:
        page = launch().new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url + "/")
        page.wait_for_selector("body[data-mode='browser']", timeout=10_000)
        recs = [{"exercise": "chair_rotation_external", "side": "left", "reason": "left external rotation 27°"},
                {"exercise": "knee_to_knee", "side": "both", "reason": "left external rotation 27°"}]
        page.evaluate("(recs) => import('/static/exercises.js').then((m) => m.renderAdvice({recommendations: recs}))",
                      recs)
        page.wait_for_selector("#advice-list li button", state="attached", timeout=5_000)
        assert [t.strip() for t in page.locator("#advice-list li button").all_text_contents()] == [
            "Do it with the camera E", "Timer"]
        page.evaluate("import('/static/exercises.js').then((m) => m.startCounted('chair_rotation_external', 'left'))")
        page.wait_for_selector("#exercise:not([hidden])", timeout=5_000)
        assert page.locator("#exercise-say").inner_text() == (
            "The camera cannot count it: this device's camera is not connected.")
        assert page.locator("#btn-exercise-back").is_visible()
