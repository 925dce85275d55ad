"""The live hold timer (``RunningHold``, one frame at a time) gives exactly the numbers of the rep's
own measure over the frames so far (``hold_span``), on real frames with a browser's uneven frame times."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hiprom.assessment import RepCounter, RepSettings
from hiprom.assessment.hold import RunningHold, hold_span
from hiprom.pipeline import _lead_in_kinematics


def test_the_running_hold_is_the_reps_measure_of_the_frames_so_far(track_footage, rendered_truth) -> None:
    """gt01's real frames (the real model) spliced into a set: a 4 s still lead-in, a rep held 30 s,
    1.5 s at rest, a rep held 3.3 s; frames 33 +- 4 ms apart (the median interval, and so the level
    window, changes as frames come) and some unmeasured (three lone frames and 0.5 s mid-hold).
    Before, the timer measured the whole rep again at each frame (0.4 ms a frame at the end of a
    30 s hold, growing with it)."""
    clip = rendered_truth["gt01"]
    trial = next(tr for tr in clip["trials"] if (tr["side"], tr["direction"]) == ("left", "internal"))
    rest = list(range(3, min(tr["start_frame"] for tr in clip["trials"]) - 1))
    held = list(range(trial["hold_start_frame"], trial["hold_end_frame"] + 1))
    up = list(range(trial["start_frame"], trial["hold_start_frame"]))
    down = list(range(trial["hold_end_frame"] + 1, trial["end_frame"] + 1))

    def rep(hold_frames: int) -> list[int]:
        return up + [held[i % len(held)] for i in range(hold_frames)] + down

    frames = np.array([rest[i % len(rest)] for i in range(120)] + rep(900) + rest[:45] + rep(99) + rest[:30])
    rng = np.random.default_rng(5)
    t_ms = np.cumsum(np.full(frames.size, 1000.0 / 30.0) + rng.uniform(-4.0, 4.0, frames.size))
    src = track_footage("rendered/" + clip["file"]).recording
    rec = replace(src, t_ms=t_ms, image=src.image[frames], world=src.world[frames],
                  n_people=None if src.n_people is None else src.n_people[frames], neutral=None)
    kin = _lead_in_kinematics(rec, 0)  # the neutral from the lead-in, as `hiprom reps` takes it
    m = kin.angle_deg[:, 0].copy()  # left, internal: + toward the exercise's direction
    m[[300, 301, 640]] = np.nan
    m[700:715] = np.nan
    t = kin.t_s
    settings = RepSettings()

    running = RunningHold(settings)
    for n in range(1, t.size + 1):
        running.add(float(t[n - 1]), float(m[n - 1]))
        assert running.span() == hold_span(t[:n], m[:n], settings), n

    counter = RepCounter("internal", hold_target_s=30.0)  # the live counter runs the timer on its own frames
    timer = []
    for i in range(t.size):
        counter.update(float(t[i]), float(m[i]))
        timer.append(counter.hold_so_far_s(float(t[i])))
    counter.finish()
    assert 29.0 <= max(timer) <= 31.0 and len(counter.reps) == 2, (max(timer), counter.reps)
    assert counter.reps[0].hold_s >= max(timer[: int(np.argmax(timer)) + 1]) - 0.5
