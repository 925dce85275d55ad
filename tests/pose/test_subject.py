"""Following one subject among several people (pure geometry, synthetic poses)."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.pose.subject import COUNT_KEPT_MS, Scene, SubjectFollower, count_people, geometry
from hiprom.synthetic import seated_recording

SIZE_WH = (1280, 720)


@pytest.fixture(scope="module")
def pose() -> np.ndarray:
    """One synthetic seated subject's image landmarks (33, 4)."""
    return seated_recording(np.zeros((1, 2))).image[0]


def placed(pose: np.ndarray, centre_x: float, scale: float = 1.0) -> np.ndarray:
    """``pose`` scaled about its torso and moved so the torso centre is at ``centre_x`` (0-1)."""
    out = pose.copy()
    xy = out[:, :2]
    c = xy[[11, 12, 23, 24]].mean(axis=0)
    out[:, :2] = (xy - c) * scale + [centre_x, 0.5]
    return out


def test_start_picks_the_largest_most_central_person(pose):
    follower = SubjectFollower()
    people = [placed(pose, 0.15, 0.6), placed(pose, 0.5, 1.0), placed(pose, 0.85, 0.6)]
    assert follower.choose([geometry(p, SIZE_WH) for p in people], 0.0, SIZE_WH) == 1
    follower.reset()
    # Equal sizes: the central one.
    people = [placed(pose, 0.2), placed(pose, 0.55)]
    assert follower.choose([geometry(p, SIZE_WH) for p in people], 0.0, SIZE_WH) == 1


def test_subject_is_followed_whatever_order_the_model_lists_people(pose):
    rng = np.random.default_rng(5)
    follower = SubjectFollower()
    subject_x, other_x = 0.45, 0.75
    for frame in range(30):
        subject_x += 0.004  # the subject drifts right, toward the other person
        other_x -= 0.004
        people = [placed(pose, subject_x), placed(pose, other_x, 0.9)]
        order = rng.permutation(2)
        pick = follower.choose([geometry(people[i], SIZE_WH) for i in order], frame * 33.3, SIZE_WH)
        assert order[pick] == 0


def test_lone_other_person_is_not_taken_for_the_lost_subject(pose):
    follower = SubjectFollower()
    both = [geometry(placed(pose, 0.3), SIZE_WH), geometry(placed(pose, 0.8), SIZE_WH)]
    assert follower.choose(both, 0.0, SIZE_WH) == 0
    other_only = [geometry(placed(pose, 0.8), SIZE_WH)]
    for frame in range(1, 90):  # three seconds without the subject
        assert follower.choose(other_only, frame * 33.3, SIZE_WH) is None
    back = [geometry(placed(pose, 0.8), SIZE_WH), geometry(placed(pose, 0.33), SIZE_WH)]
    assert follower.choose(back, 3000.0, SIZE_WH) == 1


def test_single_subject_is_found_again_after_moving_unseen(pose):
    follower = SubjectFollower()
    assert follower.choose([geometry(placed(pose, 0.3), SIZE_WH)], 0.0, SIZE_WH) == 0
    # Nobody else was ever in view: after a second away, the one person is the subject.
    assert follower.choose([geometry(placed(pose, 0.6), SIZE_WH)], 1000.0, SIZE_WH) == 0


def test_a_person_detected_twice_counts_once(pose):
    a = geometry(placed(pose, 0.5), SIZE_WH)
    a_again = geometry(placed(pose, 0.51, 0.95), SIZE_WH)
    b = geometry(placed(pose, 0.85), SIZE_WH)
    assert count_people([a, a_again]) == 1
    assert count_people([a, a_again, b]) == 2
    assert count_people([]) == 0


def test_peek_answers_like_choose_without_remembering(pose):
    follower = SubjectFollower()
    here = [geometry(placed(pose, 0.3), SIZE_WH)]
    there = [geometry(placed(pose, 0.8), SIZE_WH)]
    assert follower.peek(here, 0.0, SIZE_WH) == 0 and not follower.has_subject
    assert follower.choose(here, 0.0, SIZE_WH) == 0
    # Far from the subject a frame later: not the subject, and peeking leaves the subject where it was.
    assert follower.peek(there, 33.3, SIZE_WH) is None
    assert follower.peek(here, 66.7, SIZE_WH) == 0


def test_one_look_with_two_people_caps_the_gate_for_later_lone_poses(pose):
    follower = SubjectFollower()
    both = [geometry(placed(pose, 0.3), SIZE_WH), geometry(placed(pose, 0.8), SIZE_WH)]
    assert follower.choose(both, 0.0, SIZE_WH) == 0
    # Seconds later only the other person is returned (a one-person landmarker took them): never the subject.
    assert follower.choose([both[1]], 5000.0, SIZE_WH) is None


def test_a_subject_who_moved_far_while_unseen_is_found_again_once_nobody_else_can_be_him(pose):
    # The two-people clip: the subject somersaults out of sight and lands further than his gate
    # while the other person walks away; alone in view he was never followed again.
    follower = SubjectFollower()
    subject, other = geometry(placed(pose, 0.2), SIZE_WH), geometry(placed(pose, 0.9), SIZE_WH)
    assert follower.choose([subject, other], 0.0, SIZE_WH) == 0
    t = 0.0
    for step in range(1, 16):  # half a second: only the other person, walking right
        t = step * 33.3
        assert follower.choose([geometry(placed(pose, 0.9 + 0.004 * step), SIZE_WH)], t, SIZE_WH) is None
    landed = [geometry(placed(pose, 0.6), SIZE_WH)]  # more than one body size from where he was
    # Unseen for less than the half second his gate takes to stop growing: it may still be anybody.
    assert follower.peek(landed, t, SIZE_WH) is None
    assert follower.choose(landed, 600.0, SIZE_WH) == 0
    assert follower.choose([geometry(placed(pose, 0.61), SIZE_WH)], 633.3, SIZE_WH) == 0


def test_a_lone_person_who_may_be_the_other_one_is_still_not_taken(pose):
    def follower_after_both() -> SubjectFollower:
        follower = SubjectFollower()
        both = [geometry(placed(pose, 0.55), SIZE_WH), geometry(placed(pose, 0.1), SIZE_WH)]
        assert follower.choose(both, 0.0, SIZE_WH) == 0
        return follower

    # The subject gone for a second; a lone person appears near where the other one was last seen.
    assert follower_after_both().choose([geometry(placed(pose, 0.12), SIZE_WH)], 1000.0, SIZE_WH) is None
    # Far from both: after 0.6 s the other one cannot have walked there, so it is the subject; after
    # five seconds unseen they may have.
    far = [geometry(placed(pose, 0.98), SIZE_WH)]
    assert follower_after_both().choose(far, 600.0, SIZE_WH) == 0
    assert follower_after_both().choose(far, 5000.0, SIZE_WH) is None


def test_trackers_sharing_a_scene_report_the_most_people_either_saw_lately():
    # The live loop's two pose threads take turns on the frames: each looks for other people on
    # its own, and a frame's count must not depend on which of them had it.
    scene, a, b = Scene(), object(), object()
    assert scene.counted(a, 0.0, 1) == 1
    assert scene.counted(b, 33.3, 2) == 2  # b's look saw somebody else
    assert scene.counted(a, 66.7, 1) == 2  # a's has not yet
    assert scene.counted(b, 100.0, 1) == 1  # gone for both
    # A tracker that stops taking frames (standing down) does not hold its last count.
    scene.counted(b, 133.3, 2)
    assert scene.counted(a, 133.3 + COUNT_KEPT_MS + 1.0, 1) == 1
