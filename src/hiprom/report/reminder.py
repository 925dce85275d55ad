"""A reminder to test again, as a calendar file (iCalendar, RFC 5545) that any calendar program adds.

After a test the page says when to measure again ("in about 4–6 weeks"); weeks later nothing reminded the
person, and a home program's progress is only seen at the re-test. The file holds one all-day event in the
middle of that span, with the advice and an alert at 09:00 that day.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from icalendar import Alarm, Calendar, Event

from hiprom.assessment.exercises import retest_advice, retest_window

REMINDER_TITLE = "Test your hip rotation again (hiprom)"
"""The event's title, as a calendar lists it."""
ALERT_AFTER_MIDNIGHT = timedelta(hours=9)
"""The alert, from the start of the all-day event (midnight, on the person's own clock): 09:00."""


def retest_day(tested: date) -> date:
    """The day the reminder falls on: the middle of the days to test again after ``tested`` (5 weeks)."""
    first, last = retest_window(tested)
    return first + (last - first) / 2


def retest_reminder(tested: date, now: datetime | None = None) -> bytes:
    """The calendar file (``text/calendar``) of one all-day event on :func:`retest_day` of ``tested`` (the test's
    day on the person's clock), saying when to test again (``retest_advice``), with an alert at 09:00 that day.

    ``now`` (UTC, default the present) stamps the file; each file has its own UID, so adding a second does
    not replace the first in the calendar.
    """
    day = retest_day(tested)
    event = Event()
    event.add("uid", f"{uuid.uuid4()}@hiprom")
    event.add("dtstamp", now or datetime.now(timezone.utc))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", REMINDER_TITLE)
    event.add("description", f"{retest_advice(tested)}: the same chair and the same place for the camera as on "
                             f"{tested.isoformat()}. Open hiprom and start the test.")
    event.add("transp", "TRANSPARENT")  # a reminder, not a meeting: the day stays free
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", REMINDER_TITLE)
    alarm.add("trigger", ALERT_AFTER_MIDNIGHT)
    event.add_component(alarm)
    calendar = Calendar()
    calendar.add("prodid", "-//hiprom//test again reminder//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    return calendar.to_ical()
