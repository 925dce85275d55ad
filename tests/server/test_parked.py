"""Browser-camera tests kept for their page across a dropped connection (``hiprom.server.parked``)."""

from __future__ import annotations

from hiprom.server.parked import ParkedCameras


class Session:
    """Stands in for a ``CameraSession``: notes that it was closed."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


PAGE_A, PAGE_B, PAGE_C = "a" * 32, "b" * 32, "c" * 32


def test_a_parked_test_is_taken_once_by_its_own_page_within_the_grace_time():
    now = [0.0]
    parked = ParkedCameras(capacity=4, grace_s=120.0, now=lambda: now[0])
    kept = Session()
    parked.park(PAGE_A, kept)  # type: ignore[arg-type]
    assert parked.take(PAGE_B) is None and parked.take(None) is None and parked.take("<a>") is None
    now[0] = 119.0
    assert parked.take(PAGE_A) is kept and not kept.closed
    assert parked.take(PAGE_A) is None  # once


def test_a_parked_test_past_the_grace_time_or_beyond_the_capacity_is_closed():
    now = [0.0]
    parked = ParkedCameras(capacity=2, grace_s=120.0, now=lambda: now[0])
    old, a, b = Session(), Session(), Session()
    parked.park(PAGE_A, old)  # type: ignore[arg-type]
    now[0] = 121.0
    assert parked.take(PAGE_A) is None and old.closed  # its page came back too late: the model is let go
    parked.park(PAGE_A, a)  # type: ignore[arg-type]
    parked.park(PAGE_B, b)  # type: ignore[arg-type]
    parked.park(PAGE_C, Session())  # type: ignore[arg-type]
    assert a.closed and not b.closed  # the oldest makes room (each holds a pose model)
    parked.close_all()
    assert b.closed
