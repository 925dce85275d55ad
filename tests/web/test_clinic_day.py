"""A clinic day on one page: patient after patient, never reloaded; nothing of one is carried to the next."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

from .test_browser_camera import gt01_camera

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOWN = """() => ({
  subject: document.getElementById('subject').value,
  saved: document.getElementById('save-status').textContent,
  pdf: document.getElementById('btn-report').getAttribute('aria-disabled'),
  readings: !document.getElementById('reference').hidden,
  retest: !document.getElementById('retest-results').hidden,
  exercise: !document.getElementById('exercise').hidden,
})"""


def results_of_a_new_test(page, before: str | None) -> str:
    """Wait for the results of a test other than ``before`` (its result id); returns the new one's."""
    page.wait_for_function(
        "(before) => document.body.dataset.view === 'results' && document.getElementById('guide').dataset.phase"
        " === 'results' && document.getElementById('results').dataset.rid !== before", arg=before or "",
        timeout=120_000)
    return page.locator("#results").get_attribute("data-rid")


def test_the_next_patient_starts_with_space_and_nothing_of_the_one_before(launch, tmp_path):
    """Saving leaves the focus on the PDF link, where Space ("Saved. Space runs the test again.") did nothing;
    and the next patient's results came with the one before's pseudonym in Subject: S saved them under it."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=4.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        page = launch().new_context(viewport={"width": 1366, "height": 800}).new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        page.keyboard.press("Space")
        first = results_of_a_new_test(page, None)
        page.locator("#subject").fill("P-ONE")
        page.keyboard.press("Enter")  # Enter in Subject saves
        page.wait_for_function("() => /^Saved as session #1 for P-ONE\\./.test("
                               "document.getElementById('save-status').textContent)", timeout=30_000)
        page.wait_for_function("() => document.getElementById('detail').textContent"
                               " === 'Saved. Space runs the test again.'", timeout=10_000)
        assert page.evaluate("document.activeElement.id") == "btn-report"
        page.wait_for_selector("#reference:not([hidden])", timeout=10_000)  # the readings form of session #1
        page.locator("#ref-toggle").click()  # readings typed for patient 1 and not stored (called away)
        page.locator("#ref-rater").fill("AB")
        page.locator("#ref-left_ir_deg").fill("30")
        page.locator("#btn-report").focus()  # where Save left it

        page.keyboard.press("Space")  # as the line says, wherever Save left the focus
        page.wait_for_selector("#guide:not([data-phase='results'])", timeout=10_000)
        results_of_a_new_test(page, first)
        assert page.evaluate(SHOWN) == {"subject": "", "saved": "", "pdf": "true", "readings": False,
                                        "retest": False, "exercise": False}
        page.keyboard.press("s")  # saved at once, no name typed: not under P-ONE's
        page.wait_for_function("() => /^Saved as session #2\\./.test("
                               "document.getElementById('save-status').textContent)", timeout=30_000)
        sessions = {s["id"]: s["subject"] for s in httpx.get(url + "/api/sessions", timeout=30).json()}
        assert sessions == {1: "P-ONE", 2: None}, sessions
        page.wait_for_selector("#reference:not([hidden])", timeout=10_000)  # session #2's form: not patient 1's angle
        assert page.locator("#ref-left_ir_deg").input_value() == ""
        assert page.locator("#ref-rater").input_value() == "AB"  # who measured: the same all day
    assert not errors, errors


def test_a_test_saved_in_one_tab_shows_saved_in_the_other(launch, tmp_path):
    """The address opened twice: both tabs show the server camera's one test. Save in one told the other nothing:
    it said "These results are not saved. Press Space again..." and its Save, "Already saved as session #1"."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=4.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        context = launch().new_context(viewport={"width": 1366, "height": 800})
        first, second = context.new_page(), context.new_page()
        for page in (first, second):
            page.goto(url + "/")
            page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        first.bring_to_front()
        first.keyboard.press("Space")
        rid = results_of_a_new_test(first, None)
        assert results_of_a_new_test(second, None) == rid  # the same test in both
        second.locator("#subject").fill("P-TYPED-IN-THE-OTHER-TAB")
        first.locator("#subject").fill("P-ONE")
        first.keyboard.press("Enter")
        second.wait_for_function("() => document.getElementById('save-status').textContent"
                                 " === 'Saved in another tab as session #1 for P-ONE. D downloads the PDF.'",
                                 timeout=30_000)
        assert second.locator("#subject").input_value() == "P-ONE"
        assert second.locator("#detail").inner_text() == "Saved. Space runs the test again."
        assert second.locator("#btn-report").get_attribute("aria-disabled") == "false"
        second.bring_to_front()
        second.evaluate("document.activeElement.blur()")  # out of the Subject field, where Space is typed
        second.keyboard.press("Space")  # not "These results are not saved": a new test at once
        second.wait_for_selector("#guide:not([data-phase='results'])", timeout=10_000)
        assert [s["subject"] for s in httpx.get(url + "/api/sessions", timeout=30).json()] == ["P-ONE"]
        context.close()


@pytest.mark.footage
@pytest.mark.model
def test_on_this_devices_camera_a_second_tab_says_a_test_is_under_way_in_the_other(
        launch, footage_dir, model_path, monkeypatch, tmp_path):
    """The address opened twice on this device's camera: each tab ran its own test on the one camera (the hidden
    one paused mid-test, the other tested the person again), two halves of one patient's test."""
    browser = gt01_camera(launch, footage_dir, model_path, monkeypatch, tmp_path)
    with serve_in_thread(ServerSettings(start_source=False, db=str(tmp_path / "r.db"), guide_setup_s=30.0)) as url:
        context = browser.new_context(viewport={"width": 1366, "height": 800})
        first = context.new_page()
        first.goto(url + "/?mode=browser")
        first.wait_for_function("() => Number(document.body.dataset.frames || 0) >= 3", timeout=60_000)
        first.keyboard.press("Space")
        first.wait_for_selector("#guide[data-phase='setup']", timeout=30_000)
        second = context.new_page()  # opened while the first tab's test is under way
        second.goto(url + "/?mode=browser")
        second.wait_for_function("() => Number(document.body.dataset.frames || 0) >= 3", timeout=60_000)
        second.keyboard.press("Space")
        second.wait_for_function("() => document.getElementById('detail').textContent === 'A test is under way in"
                                 " another tab of this page: finish or cancel it there first (one test at a time).'",
                                 timeout=10_000)
        assert second.locator("#guide").get_attribute("data-phase") == "idle"
        assert second.evaluate("window.hiprom.spoken.some((s) => s.text.startsWith('A test is under way in another tab'))")
        first.keyboard.press("Escape")  # cancelled there: the second tab may test now
        first.wait_for_selector("#guide[data-phase='idle']", timeout=30_000)
        second.wait_for_function("() => { document.dispatchEvent(new KeyboardEvent('keydown', {key: ' '}));"
                                 " return document.getElementById('guide').dataset.phase === 'setup'; }",
                                 polling=500, timeout=30_000)
        context.close()


ELSEWHERE = "import('/static/tabs.js').then((m) => m.testUnderWayElsewhere())"


def test_a_tab_that_crashed_mid_test_does_not_keep_the_others_from_testing(launch, tmp_path):
    """A tab with a test under way on this device's camera told the others at ``pagehide``: one that crashed or was
    killed (no ``pagehide``) left every other tab refusing a test ("A test is under way in another tab") until it was
    reloaded. The tab's renderer crashed here (``chrome://crash``, which ends it with no ``pagehide``): the other tab
    may test again at once."""
    with serve_in_thread(ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "r.db"))) as url:
        context = launch().new_context(viewport={"width": 1366, "height": 800})
        first, second = context.new_page(), context.new_page()
        for page in (first, second):
            page.goto(url + "/")
            page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 0", timeout=30_000)
        # The first tab's test under way on this device's camera, as its guide marks it (the server camera's
        # messages, which would mark it over, no longer heard).
        first.evaluate("Promise.all([import('/static/state.js'), import('/static/tabs.js')])"
                       ".then(([s, m]) => { s.app.ws.onmessage = null; m.testUnderWayHere(true); })")
        deadline = time.monotonic() + 15
        while not second.evaluate(ELSEWHERE):  # the mark is taken in the first tab's own time
            assert time.monotonic() < deadline, "the second tab never learnt of the first tab's test"
            time.sleep(0.1)
        with first.expect_event("crash", timeout=15_000):
            with contextlib.suppress(PlaywrightError):  # the navigation is aborted: the renderer crashed under it
                first.goto("chrome://crash", timeout=15_000)
        assert not second.is_closed() and second.evaluate("document.body.dataset.mode") is not None  # alive
        deadline = time.monotonic() + 15
        while second.evaluate(ELSEWHERE):
            assert time.monotonic() < deadline, "a crashed tab still keeps the other from testing"
            time.sleep(0.1)
        context.close()
