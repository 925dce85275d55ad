"""A tab's browser-camera measurer parked between its connections: taken back in time, else closed once."""

from __future__ import annotations

import asyncio

import pytest

from hiprom.server.parking import Parked, Parking

TAB = "0123456789abcdef0123456789abcdef"


class FakeExecutor:
    def __init__(self) -> None:
        self.shut = False

    def submit(self, fn):
        fn()

    def shutdown(self, wait: bool = True) -> None:
        self.shut = True


def parked() -> Parked:
    return Parked(proc=object(), executor=FakeExecutor(), last_t_ms=1234.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("value,tab", [(TAB, TAB), (None, None), ("", None), ("short", None), ("a/b" * 8, None),
                                       ("x" * 65, None)])
def test_only_a_tab_id_as_the_page_makes_it_parks(value, tab):
    assert Parking.tab_of(value) == tab


def test_taken_back_in_time_it_is_not_closed_and_one_not_taken_back_is_closed_once():
    closed: list[Parked] = []

    async def run() -> None:
        parking = Parking(closed.append, grace_s=0.05)
        kept, lost = parked(), parked()
        parking.park(TAB, kept)
        assert parking.take(TAB) is kept and parking.take(TAB) is None  # this tab's, once
        parking.park(TAB, lost)
        deadline = asyncio.get_running_loop().time() + 10
        while not closed:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)
        assert parking.take(TAB) is None
        await asyncio.sleep(0.1)
        assert closed == [lost]

    asyncio.run(run())


def test_parked_again_for_the_same_tab_closes_the_one_before_and_close_all_the_rest():
    closed: list[Parked] = []

    async def run() -> None:
        parking = Parking(closed.append, grace_s=60)
        first, second = parked(), parked()
        parking.park(TAB, first)
        parking.park(TAB, second)
        assert closed == [first]
        parking.close_all()
        assert closed == [first, second] and parking.take(TAB) is None

    asyncio.run(run())
