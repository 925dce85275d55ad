"""The session's fields: one base, the store's record and the API's forms derived from it."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime

import pytest

from hiprom.server.routes.records import SessionPublic
from hiprom.store.records import SESSION_DERIVED, SessionBase, SessionRecord, local_day, shown_time
from hiprom.store.schema import SessionRow


def test_a_sessions_fields_are_defined_once_and_every_form_derives_from_them():
    base = {f.name for f in dataclasses.fields(SessionBase)}
    assert base - set(SESSION_DERIVED) <= set(SessionRow.__table__.columns.keys())
    for form in (SessionRecord, SessionPublic):
        assert base <= {f.name for f in dataclasses.fields(form)}


@pytest.mark.parametrize(("zone", "utc", "with_time", "shown"), [
    # 23:30 UTC on 1 March is 10:30 the next morning in Sydney: the visit's day, not UTC's.
    ("Australia/Sydney", "2026-03-01T23:30:00Z", True, "2026-03-02 10:30 AEDT"),
    ("Australia/Sydney", "2026-03-01T23:30:00Z", False, "2026-03-02"),
    ("Australia/Sydney", "2026-07-01T23:30:00Z", True, "2026-07-02 09:30 AEST"),  # winter: no daylight saving
    ("America/New_York", "2026-03-02T02:00:00+00:00", True, "2026-03-01 21:00 EST"),
    ("Asia/Kolkata", datetime(2026, 3, 1, 23, 30), True, "2026-03-02 05:00 IST"),
    ("America/Sao_Paulo", "2026-03-02T00:10:00Z", True, "2026-03-01 21:10 UTC-03:00"),  # a zone named "-03"
    ("UTC", "2026-03-01T23:30:00Z", True, "2026-03-01 23:30 UTC"),
    ("Australia/Sydney", None, True, None),
    ("Australia/Sydney", "yesterday", False, None),
])
def test_a_time_is_shown_on_the_clinics_clock(monkeypatch: pytest.MonkeyPatch, zone: str, utc: object,
                                              with_time: bool, shown: str | None) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert shown_time(utc, with_time=with_time) == shown  # type: ignore[arg-type]
        if shown is not None:
            assert shown[:10] == local_day(utc).isoformat()  # type: ignore[arg-type]  # the same day as a visit
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])  # UTC+14 and UTC-12: at any hour one differs
def test_a_birth_date_is_in_the_future_after_today_on_the_clinics_clock(monkeypatch: pytest.MonkeyPatch,
                                                                         zone: str) -> None:
    """A baby born this morning in Kiribati was refused as born "in the future" (UTC's today)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from hiprom.errors import InputError
    from hiprom.store.records import parse_date_of_birth

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        today = datetime.now(ZoneInfo(zone)).date()
        assert parse_date_of_birth(today.isoformat()) == today
        with pytest.raises(InputError, match="is in the future"):
            parse_date_of_birth(today + timedelta(days=1))
    finally:
        monkeypatch.undo()
        time.tzset()
