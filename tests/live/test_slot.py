"""The frame slot between the live grabber and the worker: fresh frames, none lost in a hiccup."""

from __future__ import annotations

import statistics

from hiprom.live.slot import MAX_LAG_S, FrameSlot


class Clock:
    """The slot's clock, set by the replay (s): a run replays the same on a busy machine as on an idle one."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def run(interval_s: float, n: int, work_s, stall_at: int | None = None, stall_s: float = 0.0,
        late_at: int | None = None):
    """A grabber putting ``n`` numbered frames ``interval_s`` apart and a worker taking them,
    spending ``work_s`` on each and, after frame ``stall_at``, ``stall_s`` once. With
    ``late_at``, the grabber itself is held up ``stall_s`` there, then puts the overdue frames at once.
    Replayed in time order on the slot's clock: the worker asks for a frame as soon as it is free
    (its time per frame, as the slot measures it), and waits for the next put if none is there.
    Returns the slot and [(frame number, its age in s when taken, the newest frame put by then)]."""
    clock = Clock()
    slot: FrameSlot[tuple[int, float]] = FrameSlot(clock=clock)
    put_s, t_s = [], 0.0
    for i in range(n):
        t_s = max((i + 1) * interval_s, t_s + (stall_s if i == late_at else 0.0))
        put_s.append(t_s)
    taken: list[tuple[int, float, int]] = []
    put = 0  # frames put so far

    def take_at(when_s: float):
        """The grabber's puts up to ``when_s``, each at its own time, then the worker's take then."""
        nonlocal put
        while put < n and put_s[put] <= when_s:
            clock.now_s = put_s[put]
            slot.put((put, put_s[put]))
            put += 1
        clock.now_s = when_s
        return slot.take(timeout=0.0)

    free_s = 0.0  # when the worker next asks for a frame
    while True:
        item = take_at(free_s)
        while item is None and put < n:  # the worker waits for the grabber's next frame
            item = take_at(put_s[put])
        if item is None:
            break
        number, (i, put_at) = item
        taken.append((i, clock.now_s - put_at, put - 1))
        free_s = clock.now_s + (stall_s if i == stall_at else work_s)
    return slot, taken


def test_a_worker_with_time_to_spare_loses_no_frame_to_one_slow_inference():
    # 30 fps-like source (20 ms here), inference 4 ms, one inference of 120 ms (MediaPipe
    # looking for the person afresh, or the machine busy): the 5-6 frames that arrive
    # meanwhile used to be dropped but the newest.
    slot, taken = run(0.020, 100, 0.004, stall_at=50, stall_s=0.120)
    assert [i for i, *_ in taken] == list(range(100)) and slot.dropped == 0
    after = [age for i, age, _ in taken if i > 50]
    assert max(after) < MAX_LAG_S
    assert statistics.median(after[10:]) < 0.005, "caught up within ten frames"


def test_a_worker_slower_than_the_source_gets_only_fresh_frames():
    slot, taken = run(0.010, 100, 0.025)
    assert slot.dropped >= 40 and len(taken) + slot.dropped == 100
    # Each frame taken was the newest (or the grabber put one more as it was handed out).
    assert all(i >= newest - 1 for i, _, newest in taken)


def test_a_long_stall_keeps_no_frame_older_than_the_lag_limit():
    slot, taken = run(0.020, 80, 0.004, stall_at=20, stall_s=0.700)
    first_after = next(age for i, age, _ in taken if i > 20)
    assert first_after < MAX_LAG_S + 0.03
    assert 15 <= slot.dropped <= 30  # about 35 frames arrived; the last 0.25 s of them were kept
    assert [i for i, *_ in taken] == sorted(i for i, *_ in taken)


def test_frames_a_late_source_delivers_at_once_are_all_measured():
    # A paced file or a camera driver held up for 150 ms hands over its overdue frames in a
    # burst: a burst is no faster source, and a worker with time to spare takes them all.
    slot, taken = run(0.020, 100, 0.002, stall_s=0.150, late_at=50)
    assert [i for i, *_ in taken] == list(range(100)) and slot.dropped == 0



def test_frames_are_numbered_as_they_leave_in_the_order_they_arrived():
    # The live loop's pose threads hand their results on in this order (capture order).
    slot: FrameSlot[str] = FrameSlot(takers=2)
    got = []
    for name in ("a", "b", "c"):
        slot.put(name)
        got.append(slot.take(timeout=0.1))
    slot.put("d")
    slot.clear()  # a rewind: the waiting frame is never handed out, and takes no number
    slot.put("e")
    got.append(slot.take(timeout=0.1))
    assert got == [(0, "a"), (1, "b"), (2, "c"), (3, "e")] and slot.handed == 4
    assert slot.take(timeout=0.01) is None
