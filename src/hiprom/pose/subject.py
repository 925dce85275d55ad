"""Follow one subject when the model sees several people (pure numpy).

Each candidate person is an ``image`` array (33, 4): x, y normalised to the
frame width and height, z, visibility. Geometry is measured in units of the
frame height (x is scaled by width / height) so distances mean the same
horizontally and vertically:

- centre: mean of both shoulders and both hips (the torso centre);
- box: the landmarks' bounding box clipped to the frame (x0, y0, x1, y1);
- size: the box diagonal.

At the start the subject is the person with the highest
``size - distance(centre, frame centre)``: the largest, most central one.
After that, each frame takes the candidate whose torso centre and box are
nearest the subject's last ones, and only within a gate of
``size * (GATE_BASE + GATE_GROWTH_PER_S * seconds since last seen)``. Once
a second person has been seen the gate stops growing at ``GATE_CAP`` body
sizes: a lone person far from where the subject was may be the other
person, and the frame is left empty rather than jumping to them.

Unless they cannot be: every person seen beside the subject is remembered
where they were last seen (and followed while the subject is away), with a
gate of their own that grows the same way and is never capped. A lone person
outside the subject's capped gate (the subject unseen long enough for it to
have stopped growing) and outside every other person's gate is the subject,
moved further than the gate while unseen (a somersault, a chair moved);
anyone who could be somebody else seen before still leaves the frame empty.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hiprom.landmarks import Landmark

TORSO = np.array([Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP])
GATE_BASE = 0.5
"""Body sizes the torso centre may move between consecutive frames."""
GATE_GROWTH_PER_S = 1.0
"""Extra body sizes allowed per second the subject was not seen."""
GATE_CAP = 1.0
"""Largest gate, in body sizes, once another person has been in view."""
OTHERS_KEPT = 4
"""Most other people remembered (each where last seen)."""
SAME_PERSON_CENTRE = 0.3
"""Two poses whose centres are closer than this many body sizes are one person."""
SAME_PERSON_OVERLAP = 0.6
"""...as are two poses whose boxes overlap by this fraction of the smaller box."""
COUNT_KEPT_MS = 250.0
"""How long a tracker's count of people stands for the trackers sharing its ``Scene`` (ms of the
stream): they take turns on the frames, a few tens of ms apart, and one that has stopped taking
frames (the live loop's second pose thread standing down) must not hold its last count."""


@dataclass(frozen=True)
class Geometry:
    """Where a person is, in frame-height units (x scaled by width / height).

    Attributes:
        centre (np.ndarray): (2,) torso centre x, y.
        box (np.ndarray): (4,) x0, y0, x1, y1 of the landmarks, clipped to the frame.
        size (float): box diagonal (never below a small floor).
    """

    centre: np.ndarray
    box: np.ndarray
    size: float


def geometry(image: np.ndarray, size_wh: tuple[int, int]) -> Geometry:
    """Torso centre, clipped box and size of one pose ``image`` (33, 4)."""
    aspect = size_wh[0] / size_wh[1]
    scale = np.array([aspect, 1.0])
    xy = image[:, :2]
    centre = xy[TORSO].mean(axis=0) * scale
    lo = np.clip(xy.min(axis=0), 0.0, 1.0) * scale
    hi = np.clip(xy.max(axis=0), 0.0, 1.0) * scale
    size = max(float(np.hypot(*(hi - lo))), 0.02)
    return Geometry(centre=centre, box=np.concatenate([lo, hi]), size=size)


def _reach(seconds: float) -> float:
    """Body sizes a person's torso centre may have moved after ``seconds`` unseen (uncapped)."""
    return GATE_BASE + GATE_GROWTH_PER_S * max(0.0, seconds)


def _overlap_of_smaller(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection area of boxes ``a`` and ``b`` over the smaller box's area."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(w * h / smaller) if smaller > 0 else 0.0


def same_person(a: Geometry, b: Geometry) -> bool:
    """True when two poses are (almost surely) the model seeing one person twice."""
    near = np.hypot(*(a.centre - b.centre)) < SAME_PERSON_CENTRE * max(a.size, b.size)
    return bool(near or _overlap_of_smaller(a.box, b.box) > SAME_PERSON_OVERLAP)


def count_people(people: Sequence[Geometry]) -> int:
    """Distinct people among the poses (duplicate poses of one person count once)."""
    distinct: list[Geometry] = []
    for g in people:
        if not any(same_person(g, d) for d in distinct):
            distinct.append(g)
    return len(distinct)


class SubjectFollower:
    """Chooses, frame after frame, the pose that belongs to the one subject.

    ``choose`` returns the index of the subject's pose among the candidates,
    or ``None`` when none of them can be the subject. Thread-safe: trackers
    taking turns on one video's frames share one follower (:class:`Scene`), so
    that they follow one person.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget the subject (the next frame with people picks a new one)."""
        with self._lock:
            self._last: Geometry | None = None
            self._last_t_ms = 0.0
            self._others_seen = False
            self._others: list[tuple[Geometry, float]] = []  # (where, t_ms) each other person was last seen

    @property
    def has_subject(self) -> bool:
        return self._last is not None

    def choose(self, people: Sequence[Geometry], t_ms: float, size_wh: tuple[int, int]) -> int | None:
        """Index of the subject in ``people`` (geometries of this frame's poses), or ``None``.

        Remembers the pick as the subject's latest place, the other poses
        as where other people were last seen (with no pick, only those who
        may be somebody else seen before), and whether another person was
        ever in view alongside.

        Args:
            people: ``geometry()`` of each pose the model returned for this frame.
            t_ms: the frame's time in milliseconds.
            size_wh: (width, height) of the frame in pixels.
        """
        with self._lock:
            pick = self._pick(people, t_ms, size_wh)
            if count_people(people) > 1:
                self._others_seen = True
            if pick is not None:
                self._last = people[pick]
                self._last_t_ms = t_ms
            for i, g in enumerate(people):
                if pick is None or (i != pick and not same_person(g, people[pick])):
                    self._remember_other(g, t_ms, known_only=pick is None)
            return pick

    def _remember_other(self, g: Geometry, t_ms: float, known_only: bool) -> None:
        """Note a person other than the subject at ``g``: they replace whom they may be (within their
        gate). ``known_only``: the subject is not in this frame, so ``g`` may be them, moved; it only
        moves somebody else already seen."""
        kept = [(o, t) for o, t in self._others if not self._could_be(g, o, t, t_ms)]
        if known_only and len(kept) == len(self._others):
            return
        self._others = [*kept, (g, t_ms)][-OTHERS_KEPT:]

    @staticmethod
    def _could_be(g: Geometry, o: Geometry, o_t_ms: float, t_ms: float) -> bool:
        """Whether ``g`` at ``t_ms`` may be the person seen at ``o`` at ``o_t_ms`` (their uncapped gate)."""
        return float(np.hypot(*(g.centre - o.centre))) <= o.size * _reach((t_ms - o_t_ms) / 1000.0)

    def peek(self, people: Sequence[Geometry], t_ms: float, size_wh: tuple[int, int]) -> int | None:
        """What ``choose`` would return, without remembering anything."""
        with self._lock:
            return self._pick(people, t_ms, size_wh)

    def _pick(self, people: Sequence[Geometry], t_ms: float, size_wh: tuple[int, int]) -> int | None:
        """What ``choose`` returns (callers hold the lock)."""
        if not people:
            return None
        last = self._last
        if last is None:
            # Largest and most central: body size minus distance of the torso from the frame centre.
            frame_centre = np.array([0.5 * size_wh[0] / size_wh[1], 0.5])
            scores = [g.size - float(np.hypot(*(g.centre - frame_centre))) for g in people]
            return int(np.argmax(scores))
        reach = _reach((t_ms - self._last_t_ms) / 1000.0)
        n_people = count_people(people)
        capped = self._others_seen or n_people > 1
        if capped:
            reach = min(reach, GATE_CAP)
        gate = last.size * reach
        best, best_cost = None, np.inf
        for i, g in enumerate(people):
            dist = float(np.hypot(*(g.centre - last.centre)))
            if dist > gate:
                continue
            # Torso displacement plus how much the outline changed (mean corner shift).
            cost = dist + float(np.mean(np.abs(g.box - last.box)))
            if cost < best_cost:
                best, best_cost = i, cost
        if best is None and capped and reach >= GATE_CAP and n_people == 1:
            if not any(self._could_be(people[0], o, t, t_ms) for o, t in self._others):
                return 0  # nobody else it can be: the subject, moved further than the gate while unseen
        return best


class Scene:
    """What the trackers of one stream share: whom they follow, and how many people each saw last.

    One tracker has a scene of its own; trackers taking turns on one stream's frames (the live
    loop's pose threads) share one (``PoseTracker.restart(scene=)``), so that they follow one
    person, and each reports the most people any of them saw at its latest frame: each looks for
    other people on its own, once a second, and the count of one frame must not depend on which
    tracker had it (2, 1, 2, 1... for up to a second after somebody walks in).

    Attributes:
        follower: chooses the subject among the poses of a frame (thread-safe).
    """

    def __init__(self) -> None:
        self.follower = SubjectFollower()
        self._counts: dict[int, tuple[float, int]] = {}  # id(tracker) -> (t_ms, people) of its latest frame
        self._lock = threading.Lock()

    def counted(self, tracker: object, t_ms: float, n_people: int) -> int:
        """Record that ``tracker`` sees ``n_people`` in its frame at ``t_ms``; the most that any tracker
        of the scene sees in its latest frame, if that frame is at most ``COUNT_KEPT_MS`` older."""
        with self._lock:
            self._counts[id(tracker)] = (t_ms, n_people)
            return max(n for t, n in self._counts.values() if t >= t_ms - COUNT_KEPT_MS)
