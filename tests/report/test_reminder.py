"""The reminder to test again: a calendar file any calendar program adds, on the day the advice means."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from icalendar import Calendar

from hiprom.assessment.exercises import retest_advice
from hiprom.report.reminder import REMINDER_TITLE, retest_reminder


def _event(data: bytes):
    calendar = Calendar.from_ical(data)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1 and str(calendar["version"]) == "2.0"
    return events[0]


def test_the_reminder_falls_in_the_middle_of_the_weeks_the_advice_says_with_an_alert_that_morning() -> None:
    event = _event(retest_reminder(date(2026, 12, 7), now=datetime(2026, 12, 7, 18, tzinfo=timezone.utc)))
    # "in about 4–6 weeks": an all-day event on the 5th week's day, which leaves the day free.
    assert event.decoded("dtstart") == date(2027, 1, 11) and event.decoded("dtend") == date(2027, 1, 12)
    assert str(event["summary"]) == REMINDER_TITLE and str(event["transp"]) == "TRANSPARENT"
    said = str(event["description"])
    assert said.startswith(retest_advice(date(2026, 12, 7))) and "as on 2026-12-07" in said  # its chair and camera
    alarm = next(iter(event.walk("VALARM")))
    assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger") == timedelta(hours=9)


def test_each_reminder_is_its_own_event_and_its_lines_are_folded_as_calendars_read_them() -> None:
    """Two files (a test and its re-test) give two reminders: the same UID would replace the first."""
    first, second = retest_reminder(date(2026, 12, 7)), retest_reminder(date(2027, 1, 11))
    assert _event(first)["uid"] != _event(second)["uid"]
    assert all(len(line) <= 75 for line in first.split(b"\r\n")), first  # RFC 5545's 75 octets a line
