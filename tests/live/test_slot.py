"""The frame slot between the live grabber and the worker: fresh frames, none lost in a hiccup."""

from __future__ import annotations

import statistics
import threading
import time

from hiprom.live.slot import MAX_LAG_S, FrameSlot


def run(interval_s: float, n: int, work_s, stall_at: int | None = None, stall_s: float = 0.0,
        late_at: int | None = None):
    """A grabber putting ``n`` numbered frames ``interval_s`` apart and a worker taking them,
    spending ``work_s`` on each and, after frame ``stall_at``, ``stall_s`` once. With
    ``late_at``, the grabber itself is held up ``stall_s`` there, then puts the overdue frames at once.
    Returns the slot and [(frame number, its age in s when taken, the newest frame put by then)]."""
    slot: FrameSlot[tuple[int, float]] = FrameSlot()
    taken: list[tuple[int, float, int]] = []
    done = threading.Event()
    newest = [-1]

    def grabber() -> None:
        t_next = time.monotonic()
        for i in range(n):
            if i == late_at:
                time.sleep(stall_s)
            t_next += interval_s
            time.sleep(max(0.0, t_next - time.monotonic()))
            slot.put((i, time.monotonic()))
            newest[0] = i
        done.set()

    thread = threading.Thread(target=grabber)
    thread.start()
    while True:
        item = slot.get(timeout=0.1)
        if item is None:
            if done.is_set():
                break
            continue
        i, put_at = item
        taken.append((i, time.monotonic() - put_at, newest[0]))
        time.sleep(stall_s if i == stall_at else work_s)
    thread.join()
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
