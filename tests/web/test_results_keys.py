"""Finished tests are never lost by one key, and are saved and downloaded by keyboard."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings

from .conftest import seen, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TABLE = "document.querySelector('#results-table tbody').innerText"


@pytest.fixture()
def results_page(launch, tmp_path):
    """A page showing the results of a whole guided test of the demo subject."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        context = launch().new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        page.locator("body").press("Space")
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        yield page
        context.close()
    assert not errors, errors


def test_saving_after_the_video_ended_says_saved_under_the_results(launch, tmp_path):
    """The server's video ended with the test (no more messages): after S the status said "Saved as session
    #1" and the guide's line under it, for good, "Save the session (S) before running the test again"."""
    settings = ServerSettings(source="demo", loop=False, replay_speed=3.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        page = launch().new_context(viewport={"width": 1280, "height": 800}).new_page()
        page.goto(url + "/")
        page.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        page.locator("body").press("Space")  # the demo plays again from the start, to its end
        page.wait_for_selector("#status[data-code='source_ended']", timeout=90_000)
        try:  # the analysis after the end, on a loaded runner
            page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        except PlaywrightTimeout:  # what the person saw instead: where the guide stopped, and why
            pytest.fail("no results 90 s after the video ended; the page showed: " + page.evaluate(
                "() => ['steps', 'prompt', 'detail', 'status-text']"
                ".map((id) => id + ': ' + document.getElementById(id).innerText.replace(/\\s+/g, ' ')).join(' | ')"
                " + ' | phase: ' + document.getElementById('guide').dataset.phase"))
        assert page.locator("#detail").inner_text() == "Save the session (S) before running the test again (Space)."
        page.locator("body").press("Escape")  # asks for a second Esc, the results unsaved ...
        page.wait_for_function("() => /not saved/.test(document.getElementById('detail').textContent)")
        page.locator("body").press("s")  # ... and they are saved instead
        page.wait_for_function("() => /^Saved as session #1\\./.test(document.getElementById('save-status').textContent)",
                               timeout=30_000)
        page.wait_for_function("() => document.getElementById('detail').textContent === "
                               "'Saved. Space runs the test again.'", timeout=5_000)


@pytest.mark.parametrize("key,what", [("Escape", "Esc"), ("Space", "Space")])
def test_one_key_on_unsaved_results_asks_first_and_keeps_them(results_page, key, what):
    page = results_page
    table = page.evaluate(TABLE)
    page.locator("body").press(key)
    page.wait_for_timeout(1000)
    assert page.locator("#results").is_visible()
    assert page.evaluate(TABLE) == table
    assert page.locator("#guide").get_attribute("data-phase") == "results"
    assert f"Press {what} again" in page.locator("#detail").inner_text()
    page.wait_for_timeout(4000)  # still there 5 s later: nothing happens by itself
    assert page.locator("#results").is_visible()


def test_the_last_result_stays_available_after_closing(results_page):
    page = results_page
    table = page.evaluate(TABLE)
    page.locator("body").press("Escape")
    page.locator("body").press("Escape")  # the second press closes
    page.wait_for_selector("#guide[data-phase='idle']", timeout=15_000)
    assert page.locator("#results").is_hidden()
    assert page.locator("#btn-last").is_visible()
    # The keyboard's focus, on the results' heading, goes to "Start test", not to the page's top (Tab went to the bar).
    assert page.evaluate("document.activeElement.id") == "btn-next"
    page.locator("body").press("l")
    assert page.locator("#results").is_visible()
    assert page.evaluate(TABLE) == table
    assert page.locator("#results-title").inner_text() == "Last result"


def test_save_by_enter_and_download_by_d_with_progress(results_page):
    """Saved by Enter, the PDF by D, and the data file beside it: the CSV, in either style."""
    page = results_page
    page.locator("body").press("d")  # not saved yet: a hint, no download
    assert "Save the session first" in page.locator("#save-status").inner_text()
    page.locator("#btn-csv").click(force=True)  # nor a CSV (aria-disabled: a person can still click it)
    assert page.locator("#save-status").inner_text() == "Save the session first, then download the CSV."
    assert page.locator("#csv-style").input_value() == "commas"  # an English browser: Excel reads 31.5
    assert "S" in page.locator("#btn-save kbd").inner_text() and "D" in page.locator("#btn-report kbd").inner_text()
    page.locator("#subject").fill("S-KEYS")
    page.locator("#subject").press("Enter")
    page.wait_for_function("() => document.getElementById('save-status').textContent.startsWith('Saved')", timeout=15_000)
    assert "S-KEYS" in page.locator("#save-status").inner_text()
    page.locator("body").click(position={"x": 5, "y": 5})
    with page.expect_download(timeout=180_000) as download:  # a loaded runner took more than 90 s
        page.locator("body").press("d")
        page.wait_for_function(
            "() => /Making the PDF|PDF ready/.test(document.getElementById('save-status').textContent)", timeout=5_000
        )
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.value.suggested_filename.endswith(".pdf")
    # The data beside it: the page offered no CSV (the server's route took ?csv-style= unasked for).
    with page.expect_download(timeout=30_000) as download:
        page.locator("#btn-csv").click()
    assert download.value.suggested_filename == "hiprom-session-1.summary.csv"
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        commas = fh.read()
    page.locator("#csv-style").select_option("semicolons")  # Excel where the decimal mark is a comma
    with page.expect_download(timeout=30_000) as download:
        page.locator("#btn-csv").click()
    with open(download.value.path(), encoding="utf-8-sig") as fh:
        semicolons = fh.read()
    header = commas.splitlines()[0]
    assert "," in header and ";" not in header and re.search(r"\b\d+\.\d\b", commas), commas[:300]
    assert semicolons.splitlines()[0] == header.replace(",", ";") and re.search(r";-?\d+,\d\b", semicolons), semicolons[:300]
    # Each table of the PDF, as the terminal's and the API's: the page offered the first alone.
    for table, first in (("trials", "session_id;subject;trial;side;direction;peak_deg"),
                         ("series", "session_id;subject;frame;t_s;left_deg;right_deg")):
        page.locator("#csv-table").select_option(table)
        with page.expect_download(timeout=30_000) as download:
            page.locator("#btn-csv").click()
        assert download.value.suggested_filename == f"hiprom-session-1.{table}.csv"
        with open(download.value.path(), encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
        assert lines[0].startswith(first) and len(lines) > 2, lines[:3]
    # Saved results close with one key.
    page.locator("body").press("Escape")
    page.wait_for_selector("#guide[data-phase='idle']", timeout=15_000)


def test_a_finished_test_survives_a_server_restart_and_is_saved(launch, tmp_path):
    """The server keeps finished tests in memory: one restarted before Save must not cost the results,
    and another page (another browser or device: this browser's own tabs are told at once) that shows the same
    test and saves it too gets the one session, not a copy."""
    db = str(tmp_path / "r.db")
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=db)
    browser = launch()
    context, elsewhere = (browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2))
    page, other = context.new_page(), elsewhere.new_page()
    with serve_in_thread(settings) as url:
        for tab in (page, other):
            tab.goto(url + "/")
            tab.wait_for_function("() => Number(document.body.dataset.frames || 0) > 5", timeout=30_000)
        # Each page keeps the full analysis as soon as the test is finished (the request done, before the restart).
        def analysis(r) -> bool:
            return "/api/results/" in r.url

        with page.expect_request_finished(analysis, timeout=90_000), \
                other.expect_request_finished(analysis, timeout=90_000):
            page.locator("body").press("Space")
            for tab in (page, other):
                tab.wait_for_selector("#results:not([hidden])", timeout=90_000)
        table = page.evaluate(TABLE)
    page.wait_for_selector("#conn.down", timeout=30_000)
    port = int(url.rsplit(":", 1)[1])
    with serve_in_thread(settings, port=port):
        for tab in (page, other):
            tab.wait_for_selector("#conn.up", timeout=30_000)
            tab.wait_for_selector("#guide[data-phase='idle']", timeout=30_000)  # the new server starts idle
            assert tab.locator("#results").is_visible() and tab.evaluate(TABLE) == table
        page.locator("#subject").fill("S-RESTART")
        page.locator("#subject").press("Enter")
        page.wait_for_function("() => /as session|Not saved/.test(document.getElementById('save-status').textContent)",
                               timeout=30_000)
        said = page.locator("#save-status").inner_text()
        assert said.startswith("Saved as session") and "S-RESTART" in said and "restarted" in said, said
        other.locator("#btn-save").click()
        other.wait_for_function("() => /as session/.test(document.getElementById('save-status').textContent)",
                                timeout=30_000)
        assert other.locator("#save-status").inner_text().startswith("Already saved as session")
        sessions = httpx.get(f"{url}/api/sessions").json()
        assert [(s["subject"], s["measurable"]) for s in sessions] == [("S-RESTART", True)]
    context.close()
    elsewhere.close()


def test_after_an_exercise_esc_goes_back_to_the_results(results_page):
    """A finished exercise offers more than "Test again": the results, their other suggestions, the guide's buttons."""
    page = results_page
    table = page.evaluate(TABLE)
    # Frames drawn while the results hide the picture made its canvas 1x1: back on screen, that pixel (the
    # right foot's orange) covered the picture as a square until the next frame came. Read in the moment the
    # picture is back (the view live again: the server's next message, which can come before the answer that
    # opens the exercise's panel), before any frame after it: one painted in between is a true skeleton.
    frames = int(page.evaluate("document.body.dataset.frames"))
    page.wait_for_function(f"() => Number(document.body.dataset.frames) > {frames + 2}", timeout=30_000)
    watch(page, "picture back", "document.body.dataset.view === 'live'",
          "(() => { const c = document.getElementById('skeleton'), r = document.getElementById('preview')"
          ".getBoundingClientRect(), px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
          " let painted = 0; for (let i = 3; i < px.length; i += 4) painted += px[i] > 0;"
          " return [c.width, c.height, Math.round(r.width), Math.round(r.height), painted]; })()")
    page.locator("#advice-list button[data-key='e']").click()  # the first suggestion the camera counts
    page.wait_for_selector("#exercise:not([hidden])", timeout=15_000)
    width, height, box_width, box_height, painted = seen(page, "picture back")
    assert abs(width - box_width) <= 1 and abs(height - box_height) <= 1 and painted == 0
    page.keyboard.press("Enter")  # "Done Enter": ends it (focus left on the suggestion's button started it again)
    page.wait_for_selector("#btn-exercise-back:not([hidden])", timeout=30_000)
    assert page.locator("#btn-test-again").is_visible() and page.locator("#guide").is_hidden()
    assert page.evaluate("document.activeElement.id") == "btn-test-again"
    page.keyboard.press("Escape")
    page.wait_for_selector("#exercise", state="hidden", timeout=15_000)
    assert page.locator("#results").is_visible() and page.evaluate(TABLE) == table
    assert page.evaluate("document.activeElement.id") == "results-title"
    assert page.locator("#guide").is_visible() and page.locator("#btn-next").is_visible()
    assert page.locator("#advice-list button").count() >= 2
    timed = page.locator("#advice-list li", has=page.locator("button", has_text="Timer")).first
    dose = re.search(r"(\d+) times, (\d+) sets?", timed.locator(".dose").inner_text())
    # Its own count ("0 of 3"), not the one the counted exercise left ("0 of 10"), as its dose says: read when its
    # first hold's countdown shows (a 3 s hold counts its first rep 2 s later).
    watch(page, "counting down", "/s left/.test(document.getElementById('exercise-hold').textContent)",
          "document.getElementById('exercise-count').textContent")
    timed.locator("button").click()  # a timed one, ended half-way
    assert seen(page, "counting down") == f"0 of {int(dose[1])}"  # set by set, as prescribed
    assert page.locator("#exercise-set").inner_text() == ("" if dose[2] == "1" else f"Set 1 of {dose[2]}:")
    page.keyboard.press("Enter")
    page.wait_for_selector("#btn-exercise-back:not([hidden])", timeout=15_000)
    assert page.locator("#exercise-hold").inner_text() == ""  # no countdown left standing


@pytest.mark.parametrize("locale,style", [("en-GB", "commas"), ("de-DE", "semicolons"), ("fr-FR", "semicolons")])
def test_the_csv_is_offered_as_this_browser_s_language_writes_numbers(launch, tmp_path, locale, style):
    """Excel opens a CSV by a double-click with the computer's list separator: where the decimal mark is a comma,
    a comma-separated file came up as one column. The CSV's style follows the browser's language until chosen."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "r.db"))
    with serve_in_thread(settings) as url:
        context = launch().new_context(viewport={"width": 1280, "height": 800}, locale=locale)
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_selector("#csv-row:not([hidden])", state="attached", timeout=30_000)
        assert page.locator("#csv-style").input_value() == style
        other = "commas" if style == "semicolons" else "semicolons"
        # Chosen as on the results (hidden here: no test has finished), then the page opened again.
        page.evaluate("(v) => { const s = document.getElementById('csv-style'); s.value = v;"
                      " s.dispatchEvent(new Event('change')); }", other)
        page.reload()
        page.wait_for_selector("#csv-row:not([hidden])", state="attached", timeout=30_000)
        assert page.locator("#csv-style").input_value() == other  # the person's choice is kept
        context.close()
