"""The live loop's pose stage: frames posed by two threads, handed on in capture order."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import pytest

from hiprom.errors import ModelError
from hiprom.landmarks import N_LANDMARKS
from hiprom.live.feeds import FeedItem
from hiprom.live.posepool import PosePool, pose_threads
from hiprom.live.slot import FrameSlot


@dataclass
class FakeResult:
    image: np.ndarray
    world: np.ndarray
    n_people: int


class FakeTracker:
    """Stands in for ``PoseTracker``: takes ``slow_s`` on even frames and ``fast_s`` on odd ones (so
    a later frame is often posed first), raises on ``fail_at``; records what it saw and in which thread."""

    log: list[tuple[str, float, str, int]] = []  # (event, t_ms, thread name, pass seen), all trackers
    scenes: list[tuple[str, object]] = []  # (thread name, scene given at each restart)

    def __init__(self, slow_s: float = 0.03, fast_s: float = 0.001, fail_at: float | None = None) -> None:
        self.slow_s, self.fast_s, self.fail_at = slow_s, fast_s, fail_at
        self.passes = 0
        self.model_name, self.model_sha256 = "fake", None
        self.closed_in: str | None = None

    def restart(self, scene=None) -> None:
        self.passes += 1
        FakeTracker.scenes.append((threading.current_thread().name, scene))

    def process(self, image_rgb, t_ms, source_gap_ms=None) -> FakeResult:
        frame = int(image_rgb[0, 0, 0])
        time.sleep(self.slow_s if frame % 2 == 0 else self.fast_s)
        if t_ms == self.fail_at:
            raise RuntimeError("a bug on this frame")
        FakeTracker.log.append(("posed", t_ms, threading.current_thread().name, self.passes))
        image = np.full((N_LANDMARKS, 4), float(frame))
        return FakeResult(image, image.copy(), 1)

    def close(self) -> None:
        self.closed_in = threading.current_thread().name


@pytest.fixture(autouse=True)
def _clean_log():
    FakeTracker.log, FakeTracker.scenes = [], []


def item(i: int, pass_index: int = 1) -> FeedItem:
    """Frame ``i`` (its number in its first pixel), 33.3 ms apart."""
    image = np.full((4, 4, 3), i % 256, np.uint8)
    return FeedItem(t_ms=i * 33.3, index=i, captured_unix_ms=0.0, size_wh=(4, 4), image_rgb=image, pass_index=pass_index)


def run(pool: PosePool, items: list[FeedItem], interval_s: float = 0.0, pace: bool = False) -> list:
    """Put ``items`` in the pool's slot ``interval_s`` apart (with ``pace``, each once the slot is empty,
    so none is dropped) and collect what ``get`` hands on until all are through."""
    out = []
    done = threading.Event()

    def grabber() -> None:
        for it in items:
            while pace and len(pool.slot) > 0:
                time.sleep(0.001)
            pool.slot.put(it)
            time.sleep(interval_s)
        done.set()

    thread = threading.Thread(target=grabber)
    thread.start()
    while not (done.is_set() and not pool.pending):
        posed = pool.get(timeout=0.05)
        if posed is not None:
            out.append(posed)
    thread.join()
    return out


def test_two_cores_give_two_pose_threads_one_core_none():
    assert pose_threads(2) == 2 and pose_threads(8) == 2 and pose_threads(1) == 1


def test_frames_come_out_in_capture_order_once_each_though_posed_out_of_order():
    pool = PosePool(FrameSlot(takers=2), lambda: FakeTracker(), threads=2)
    pool.start()
    try:
        assert pool.threads == 2
        out = run(pool, [item(i) for i in range(60)], interval_s=0.01)
    finally:
        pool.close()
    t = [p.item.t_ms for p in out]
    assert all(b > a for a, b in zip(t, t[1:])), "strictly in capture order, none twice"
    assert len(out) + pool.slot.dropped == 60  # every frame handed on or dropped as stale, none lost between
    assert all(p.image[0, 0] == p.item.index for p in out)  # each frame with its own landmarks
    posed = [t_ms for event, t_ms, *_ in FakeTracker.log]
    assert posed != sorted(posed), "a later frame was posed first (the hand-off had to wait)"
    assert {name for _, _, name, _ in FakeTracker.log} == {"hiprom-pose-0", "hiprom-pose-1"}


def test_every_frame_is_posed_when_the_pool_keeps_up():
    pool = PosePool(FrameSlot(takers=2), lambda: FakeTracker(slow_s=0.01), threads=2)
    pool.start()
    try:
        out = run(pool, [item(i) for i in range(40)], pace=True)
    finally:
        pool.close()
    assert [p.item.index for p in out] == list(range(40)) and pool.slot.dropped == 0


def test_a_new_pass_restarts_each_tracker_in_its_own_thread_with_one_scene_for_both():
    trackers: list[FakeTracker] = []

    def factory() -> FakeTracker:
        trackers.append(FakeTracker(slow_s=0.01))
        return trackers[-1]

    pool = PosePool(FrameSlot(takers=2), factory, threads=2)
    pool.start()
    try:
        out = run(pool, [item(i, 1) for i in range(10)] + [item(i, 2) for i in range(10, 20)], pace=True)
    finally:
        pool.close()
    assert len(out) == 20
    # Each tracker restarted once per pass, in its own thread, and the two got one scene (whom they
    # follow, who else is in view) per pass.
    assert all(t.passes == 2 for t in trackers)
    by_thread: dict[str, list] = {}
    for name, scene in FakeTracker.scenes:
        by_thread.setdefault(name, []).append(scene)
    assert sorted(by_thread) == ["hiprom-pose-0", "hiprom-pose-1"]
    first, second = zip(*by_thread.values())
    assert first[0] is first[1] and second[0] is second[1] and first[0] is not second[0]
    # No frame of the second pass was posed by a tracker still in the first.
    assert all(seen == (1 if t_ms < 10 * 33.3 - 1 else 2) for _, t_ms, _, seen in FakeTracker.log)
    # Closing joined the threads, and each closed its own tracker.
    assert pool.threads == 0 and sorted(t.closed_in for t in trackers) == ["hiprom-pose-0", "hiprom-pose-1"]


def test_an_error_on_one_frame_travels_with_it_and_the_next_frames_are_posed():
    pool = PosePool(FrameSlot(takers=2), lambda: FakeTracker(slow_s=0.005, fail_at=3 * 33.3), threads=2)
    pool.start()
    try:
        out = run(pool, [item(i) for i in range(8)], pace=True)
    finally:
        pool.close()
    assert [p.item.index for p in out] == list(range(8))
    assert [p.error is not None for p in out] == [i == 3 for i in range(8)]
    assert isinstance(out[3].error, RuntimeError) and out[3].image is None


def test_a_model_that_cannot_load_stops_the_threads_and_frames_go_on_unposed():
    loaded: list[FakeTracker] = []

    def factory() -> FakeTracker:
        if loaded:
            raise ModelError("nothing_here.task: MediaPipe could not load this model")
        loaded.append(FakeTracker())
        return loaded[0]

    pool = PosePool(FrameSlot(takers=2), factory, threads=2)
    with pytest.raises(ModelError, match="nothing_here.task"):
        pool.start()
    assert pool.threads == 0 and loaded[0].closed_in is not None  # the tracker that loaded was closed
    out = run(pool, [item(i) for i in range(3)], pace=True)
    assert [p.item.index for p in out] == [0, 1, 2] and all(p.image is None and p.error is None for p in out)
    assert FakeTracker.log == []


def test_one_core_poses_in_the_callers_thread_as_before():
    trackers: list[FakeTracker] = []
    pool = PosePool(FrameSlot(), lambda: trackers.append(FakeTracker(slow_s=0.001)) or trackers[-1], threads=1)
    pool.start()
    try:
        out = run(pool, [item(i, 1) for i in range(5)] + [item(i, 2) for i in range(5, 8)], pace=True)
    finally:
        pool.close()
    assert pool.threads == 0 and [p.item.index for p in out] == list(range(8))
    me = threading.current_thread().name
    assert {name for _, _, name, _ in FakeTracker.log} == {me}
    # Restarted at each pass with a scene of its own (None: the tracker makes it), then closed.
    assert [f for _, f in FakeTracker.scenes] == [None, None] and trackers[0].closed_in == me



@pytest.mark.parametrize("cores", [0.9, 2.0])
def test_the_second_thread_stands_down_when_the_process_gets_no_second_core(cores):
    # Frames 10 ms apart, 30 ms to pose one: both threads are busy all the time. A process that
    # gets under 1.4 cores then (a busy machine's share, measured as CPU time over wall time; here
    # a clock that says so) gains nothing from the second thread, which stands down; with two
    # cores it goes on.
    pool = PosePool(FrameSlot(takers=2), lambda: FakeTracker(slow_s=0.03, fast_s=0.03), threads=2,
                    cpu_clock=lambda: time.monotonic() * cores)
    pool.start()
    try:
        out = run(pool, [item(i) for i in range(180)], interval_s=0.01)
    finally:
        pool.close()
    t = [p.item.t_ms for p in out]
    assert all(b > a for a, b in zip(t, t[1:]))
    late = {name for _, t_ms, name, _ in FakeTracker.log if t_ms > 150 * 33.3}
    if cores < 1.4:
        assert pool.standing_down and pool.slot.takers == 1 and late == {"hiprom-pose-0"}
    else:
        assert not pool.standing_down and pool.slot.takers == 2 and late == {"hiprom-pose-0", "hiprom-pose-1"}


# -- the real model on the two-people clip --------------------------------------------------------


def two_people_frames(footage_dir) -> list[np.ndarray]:
    """The RGB frames (30 fps) of the clip of tests/pose/test_footage.py: a man on a box, who
    somersaults off it at frames ~167-200 and walks off to the right, and a woman walking past in front."""
    import cv2

    cap = cv2.VideoCapture(str(footage_dir / "c_d_two_people_outdoor_sports2d.mp4"))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return frames


def hip_centres(image: np.ndarray, size_wh: tuple[int, int]) -> np.ndarray:
    """(n, 2) centre of the two hips of each pose ``image`` (n, 33, 4), in frame heights (NaN where nobody)."""
    from hiprom.landmarks import Landmark

    w, h = size_wh
    return image[:, [Landmark.LEFT_HIP, Landmark.RIGHT_HIP], :2].mean(axis=1) * [w / h, 1.0]


@pytest.mark.model
@pytest.mark.footage
@pytest.mark.slow
def test_two_pose_threads_follow_one_subject_on_the_two_people_clip(footage_dir, model_path):
    # The two-people clip, every frame through two pose threads taking turns, as the live loop
    # gives them on two cores.
    from hiprom.pose import PoseTracker

    items = [FeedItem(t_ms=i * 1000.0 / 30, index=i, captured_unix_ms=0.0, size_wh=rgb.shape[1::-1],
                      image_rgb=rgb, source_gap_ms=1000.0 / 30, pass_index=1)
             for i, rgb in enumerate(two_people_frames(footage_dir))]
    # Both threads all along, however busy the machine (no stand-down: the clock says two cores).
    pool = PosePool(FrameSlot(takers=2), lambda: PoseTracker(model_path), threads=2,
                    cpu_clock=lambda: time.monotonic() * 2)
    pool.start()
    try:
        out = run(pool, items, pace=True)
    finally:
        pool.close()
    assert [p.item.index for p in out] == list(range(len(items))) and all(p.error is None for p in out)
    image = np.stack([p.image for p in out])
    n_people = np.array([p.n_people for p in out])
    found = np.isfinite(image[:, 0, 0])
    # The promises of one tracker (test_two_people_clip_follows_one_subject_without_jumps): never the
    # other person (the two are at least 0.45 frame heights apart), not even across the frames where
    # he is lost. Each tracker sees every other frame, so consecutive poses come from two trackers
    # (steps up to 0.22 against 0.10) and he is lost a little more or less often mid-somersault. Over
    # 100 repeatable turn orders (docs/throughput.md): 78.7-91.7 % of the frames found, one tracker
    # on every frame 88.3 %. Below 80 % when one tracker lost him early on: MediaPipe's person
    # detector misses him in frames ~6-42, where only a tracker that never lost him sees him.
    # Before the follower took a lone person who can be nobody else seen for him, one order of
    # forty lost him for good after the somersault (73.0 %; 72.6 % in CI; next test).
    assert found[10:160].mean() >= 0.8 and found.mean() >= 0.75
    hip = hip_centres(image, items[0].size_wh)
    both = found[1:] & found[:-1]
    assert np.hypot(*np.diff(hip, axis=0).T)[both].max() < 0.3
    seen = np.flatnonzero(found)
    assert np.hypot(*np.diff(hip[seen], axis=0).T).max() < 0.45
    # She is counted from the first or second look of either tracker after she walks in (frame ~60:
    # first counted at frame 63-100 over 100 repeatable turn orders, one tracker 63), then while both
    # are in view (to frame ~165: 89-100 % of those frames, one tracker 95 %), the same count
    # whichever tracker had the frame; never three.
    first = int(np.argmax(n_people >= 2))
    assert first < 120
    assert (n_people[max(first, 100):165] >= 2).mean() > 0.85 and n_people.max() == 2


@pytest.mark.model
@pytest.mark.footage
@pytest.mark.slow
def test_the_subject_is_found_again_where_he_lands_out_of_his_gate(footage_dir, model_path):
    # The turn order (made repeatable) in which two trackers sharing one scene lost the man for the
    # rest of the clip: the last tracker to see him mid-somersault saw him a body size and a third
    # from where he landed, so the gate (capped at one body size once the woman had been seen)
    # never took him again, alone in view after she left, and 73 % of the frames were found.
    import random

    from hiprom.pose import PoseTracker
    from hiprom.pose.subject import Scene

    frames = two_people_frames(footage_dir)
    rng, turn, turns = random.Random(28), 0, []
    for _ in frames:
        turn = 1 - turn if rng.random() < 0.7 else turn
        turns.append(turn)
    scene = Scene()
    trackers = [PoseTracker(model_path), PoseTracker(model_path)]
    try:
        for tracker in trackers:
            tracker.restart(scene)
        image = np.stack([trackers[k].process(rgb, i * 1000.0 / 30, source_gap_ms=1000.0 / 30).image
                          for i, (k, rgb) in enumerate(zip(turns, frames))])
    finally:
        for tracker in trackers:
            tracker.close()
    found = np.isfinite(image[:, 0, 0])
    # Alone in view from frame ~202 to 226 (before: 1 of these 20 found).
    assert found[205:225].mean() >= 0.8
    hip = hip_centres(image, frames[0].shape[1::-1])
    seen = np.flatnonzero(found)
    assert np.hypot(*np.diff(hip[seen], axis=0).T).max() < 0.45  # never on her (she walks out on the left)
    assert (hip[found][:, 0] > 0.55).all()


@pytest.mark.model
@pytest.mark.parametrize("threads", [1, 2])
def test_the_live_page_knows_what_tracks_its_pictures(model_path, threads):
    # A session measured live was stored with model_sha256, software.mediapipe/opencv and tracking
    # null, where an analysed video names its model file: the server's camera (the pool) and this
    # device's camera (a processor with its own tracker) say what their tracker is.
    from hiprom.live.engine import LiveConfig
    from hiprom.live.processor import LiveProcessor
    from hiprom.pose.track import tracking_software
    from hiprom.recording import ONE_PASS, file_sha256

    factory = LiveConfig(model=str(model_path)).tracker_factory()
    pool = PosePool(FrameSlot(), factory, threads=threads)
    proc = LiveProcessor("browser camera", tracker_factory=factory)
    try:
        pool.start()
        proc.warm_up()
        for made_by in (pool.made_by, proc.made_by):
            assert made_by is not None and made_by.model == "pose_landmarker_full"
            assert made_by.model_sha256 == file_sha256(model_path)
            assert made_by.software == tracking_software() and made_by.software["mediapipe"] != "unknown"
            assert made_by.tracking == ONE_PASS
    finally:
        pool.close()
        proc.close()
