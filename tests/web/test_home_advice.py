"""The self-tester at home: what the page says to do about a low number agrees with the clinician's sheet.

Before, the page listed its suggestions and said nothing of when to test again, while the home program's
sheet said "Measure again after a few weeks of exercise (hiprom: "Test again")" (the page's Test again is
the same day's re-test) and the report "in about 4–6 weeks"; nothing told the person that the program
their clinician gave them comes before the page's suggestions.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from icalendar import Calendar

from hiprom.server.runner import serve_in_thread
from hiprom.server.settings import ServerSettings
from tests.report.pdftools import need_poppler, pdf_text

from .conftest import demo_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_page_says_when_to_test_again_as_the_program_sheet_does(launch, tmp_path):
    need_poppler()
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "home.db"))
    with serve_in_thread(settings) as url:
        page, errors = demo_page(launch, url)
        body = page.locator("body")
        body.press("Space")  # the guided test: the demo's external rotation is below its band
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        page.wait_for_selector("#advice:not([hidden]) #advice-list li", timeout=15_000)
        page.wait_for_function("() => document.getElementById('advice-retest').textContent.length > 0",
                               timeout=15_000)
        advice = " ".join(page.locator("#advice").inner_text().split())
        # And a reminder for that day, as a calendar file: weeks later nothing reminded the person.
        remind = page.locator("#advice-remind")
        assert remind.is_visible() and remind.inner_text() == "Add a reminder to your calendar"
        with page.expect_download(timeout=30_000) as download:
            remind.click()
        today = date.today()
        assert download.value.suggested_filename == f"hiprom-test-again-{today.isoformat()}.ics"
        event = next(iter(Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")))
        assert event.decoded("dtstart") == today + timedelta(weeks=5)  # the middle of "4–6 weeks"
        assert str(event["description"]).startswith(
            f"Repeat the test the same way from {(today + timedelta(weeks=4)).isoformat()} to "
            f"{(today + timedelta(weeks=6)).isoformat()}, or sooner if pain or stiffness changes")
        body.press("s")
        page.wait_for_function("() => /Saved as session/.test(document.getElementById('save-status').textContent)",
                               timeout=30_000)
        session = int(re.search(r"session #(\d+)", page.locator("#save-status").inner_text()).group(1))
        page.context.close()
        sheet = httpx.get(f"{url}/api/sessions/{session}/program.pdf", timeout=120)
        assert sheet.status_code == 200
    assert not errors, errors
    (tmp_path / "program.pdf").write_bytes(sheet.content)
    on_sheet = " ".join(pdf_text(tmp_path / "program.pdf", layout=False).split())

    assert "If your clinician gave you a home program, follow theirs: these suggestions come from this test alone." \
        in advice
    retest = re.search(r"Repeat the test the same way [^.]*\.", advice)
    assert retest and "4–6 weeks" in retest.group(0), advice
    # The same words as the sheet handed over, which gives the days they mean, counted from this test (it left
    # the sum to the patient).
    first, last = date.today() + timedelta(weeks=4), date.today() + timedelta(weeks=6)
    dated = retest.group(0).replace("in about 4–6 weeks", f"from {first.isoformat()} to {last.isoformat()}")
    assert dated in on_sheet, on_sheet
    assert "Measure again after a few weeks" not in on_sheet


def test_a_clinic_s_page_offers_no_reminder_for_its_own_calendar(launch, tmp_path):
    """The reminder is the patient's: on a clinic's page it would go in the clinician's calendar."""
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(tmp_path / "clinic.db"), clinic=True)
    with serve_in_thread(settings) as url:
        page, errors = demo_page(launch, url)
        page.locator("body").press("Space")
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        page.wait_for_function("() => document.getElementById('advice-retest').textContent.length > 0",
                               timeout=15_000)
        assert page.locator("#advice-remind-row").is_hidden()
        page.context.close()
    assert not errors, errors


def test_between_tests_a_patient_s_page_says_when_the_last_test_was_and_that_it_is_time_again(launch, tmp_path):
    """Back seven weeks later for the re-test, the page said only "Press Start test"; once a test is saved, the
    line is of that one."""
    from hiprom.store import Store
    from tests.conftest import ANALYSIS_FIXTURE

    db = tmp_path / "home.db"
    weeks_ago = datetime.now(timezone.utc) - timedelta(weeks=7)
    with Store(db) as store:
        store.save_analysis({**json.loads(ANALYSIS_FIXTURE.read_text(encoding="utf-8")),
                             "created_utc": weeks_ago.strftime("%Y-%m-%dT%H:%M:%SZ")})
    settings = ServerSettings(source="demo", loop=True, replay_speed=3.0, db=str(db))
    with serve_in_thread(settings) as url:
        page, errors = demo_page(launch, url)
        page.wait_for_function("() => /Your last test/.test(document.getElementById('detail').textContent)",
                               timeout=15_000)
        said = page.locator("#detail").inner_text()
        assert said.startswith("Your last test was 7 weeks ago (") and said.endswith(
            "): time to test again, the same way (same chair, same camera place)."), said
        body = page.locator("body")
        body.press("Space")
        page.wait_for_selector("#results:not([hidden])", timeout=90_000)
        body.press("s")
        page.wait_for_function("() => /Saved as session/.test(document.getElementById('save-status').textContent)",
                               timeout=30_000)
        body.press("Escape")
        page.wait_for_function("() => /Your last test was today/.test(document.getElementById('detail').textContent)",
                               timeout=15_000)
        assert f"Test again from {(date.today() + timedelta(weeks=4)).isoformat()}, 4–6 weeks after it." in \
            page.locator("#detail").inner_text()
        page.context.close()
    assert not errors, errors
