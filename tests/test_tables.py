"""Dates and times as a spreadsheet writes them in its cells (``hiprom.tables.sheet_day``, ``sheet_time``)."""

from __future__ import annotations

from datetime import date, time

import pytest

from hiprom.errors import InputError
from hiprom.tables import sheet_day, sheet_time


@pytest.mark.parametrize(
    ("cell", "day_first", "read"),
    [
        ("2026-02-20", None, (date(2026, 2, 20), None)),
        ("2026/02/20 10:15", None, (date(2026, 2, 20), time(10, 15))),
        ("2026-02-20T10:15:30", None, (date(2026, 2, 20), time(10, 15, 30))),
        ("20/02/2026", None, (date(2026, 2, 20), None)),  # a day past 12 says itself
        ("02/20/2026 9:15 PM", None, (date(2026, 2, 20), time(21, 15))),  # as US Excel writes it
        ("03/02/2026", True, (date(2026, 2, 3), None)),
        ("03-02-2026", False, (date(2026, 3, 2), None)),
        ("03.02.2026 10.15", None, (date(2026, 2, 3), time(10, 15))),  # dots: the day first, as German Excel
        ("05/05/2026", None, (date(2026, 5, 5), None)),  # either order, one day
        ("2026-02-20 00:00:00", None, (date(2026, 2, 20), None)),  # a date-only cell of a date-time column
    ],
)
def test_a_date_cell_is_read_as_the_clinics_spreadsheet_wrote_it(cell: str, day_first: bool | None,
                                                                  read: tuple) -> None:
    assert sheet_day(cell, day_first) == read


@pytest.mark.parametrize(
    ("cell", "day_first", "said"),
    [
        ("03/02/2026", None, "date: 03/02/2026 may be 3 February or 2 March"),
        ("31/02/2026", True, "date: '31/02/2026' is not a day of the calendar (day first)"),
        ("20/02/2026", False, "date: '20/02/2026' is not a day of the calendar (month first)"),
        ("20/02/26", True, "2-digit year; write the year in full"),
        ("Feb 20", None, "date: 'Feb 20' is not a date; write it like 2026-02-20, 20/02/2026, 02/20/2026 or "
                         "20.02.2026"),
        ("2026-02-20 noon", None, "is not a date"),
    ],
)
def test_a_date_cell_that_is_no_one_day_is_refused_with_an_example(cell: str, day_first: bool | None,
                                                                   said: str) -> None:
    with pytest.raises(InputError, match=said.replace("(", r"\(").replace(")", r"\)")):
        sheet_day(cell, day_first)


def test_a_time_cell_on_a_12_or_24_hour_clock() -> None:
    assert [sheet_time(t) for t in ("10:15", "12:30 AM", "12:30 p.m.", "9:05:10")] == [
        time(10, 15), time(0, 30), time(12, 30), time(9, 5, 10)]
    with pytest.raises(InputError, match="time: '13:00 PM' is not a time of day; write it like 10:15 or 9:15 AM"):
        sheet_time("13:00 PM")
