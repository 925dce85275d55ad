"""The hold of a repetition: where the held level begins and ends, in one rep's frames.

:func:`hold_span` measures it over a rep's frames (a finished rep, ``measure_rep``);
:class:`RunningHold` gives the very same numbers for the frames so far of a rep
under way, one frame at a time (the live hold timer): it keeps the frames as
arrays, the frame interval's sorted differences and the window minima, so a
new frame adds to them instead of reading the whole rep again (a test asserts
both forms agree exactly on real-frame series). Both end in :func:`_settle`,
the one definition of the held run and level. The hold's time counts only
while the leg was seen (:func:`hiprom.assessment.trials.seen_s`, as the guided
test's trials count theirs): unseen for more than ``MAX_UNSEEN_S`` (a tab
hidden, the camera covered, a connection stalled) it is paused, as a person
may have let go unseen.

Times are seconds, angles degrees toward the exercise's direction (NaN = unmeasured).
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hiprom.assessment.trials import _central_level, _robust_sd, frame_interval_s, seen_s

if TYPE_CHECKING:
    from hiprom.assessment.reps import RepSettings


class Span(NamedTuple):
    """The hold of a rep's frames."""

    first: int  # index of the first frame in the hold
    last: int  # index of the last frame in the hold
    start_s: float  # where the hold begins (interpolated between frames)
    end_s: float  # where it ends
    level_deg: float  # the held level
    held_s: float  # the time held: ``end_s - start_s`` while the leg was seen (``seen_s``)


def _edge(t0: float, t1: float, m0: float, m1: float, level: float, tol: float, rising: bool) -> float:
    """Where the hold begins (``rising``) or ends, from the two frames around its edge.

    The line from (t0, m0) to (t1, m1) passes ``level = peak - tol`` at ``tc``; the
    movement, continued at that speed, reaches the peak ``tol / |slope|`` later
    (rising) or left it that much earlier. The shift is at most one frame: it
    removes about half of the time a smooth ramp spends within ``tol`` of its end.
    """
    dt = t1 - t0
    if not (math.isfinite(m0) and math.isfinite(m1)) or m1 == m0 or dt <= 0:
        return t1 if rising else t0
    tc = t0 + dt * min(1.0, max(0.0, (level - m0) / (m1 - m0)))
    shift = min(dt, tol * dt / abs(m1 - m0))
    return tc + shift if rising else tc - shift


def hold_span(t_s: np.ndarray, m: np.ndarray, settings: RepSettings) -> Span:
    """The hold of one rep's frames (:class:`Span`: first and last frame in it, start, end, level, time held).

    The hold is the run of samples within ``tol`` of the held level (unmeasured ones bridged, and
    dips under it shorter than ``return_s``: one or two frames of the pose model's glitch) that
    holds the best window of ``level_window_s``; the level is the run's interquartile mean and
    ``tol`` is ``hold_tolerance_deg`` or ``spread_factor`` times the robust SD of the run's samples
    when that is more, at most ``max_tolerance_deg``. Run, level and tolerance are taken again
    until they settle: the best window's minimum sits high in the detector's jitter and wander,
    and a fixed 1.5 deg under it cut a held leg's hold at the first frame the reading fell below.
    The time held is ``end - start`` less any stretch the leg was unseen for more than ``MAX_UNSEEN_S``
    (``seen_s``): the run goes on across it, but a leg unseen that long may have been let go.
    """
    finite = np.isfinite(m)
    dt = frame_interval_s(t_s)
    k = _window(dt, m.shape[0], settings)
    # Sustained level: the best window minimum (a single high frame lifts no window).
    level = sliding_window_view(np.where(finite, m, -np.inf), k).min(axis=1)
    best = int(np.argmax(level))
    top = float(level[best]) if np.isfinite(level[best]) else float(np.nanmax(m))
    return _settle(t_s, m, finite, best, k, top, dt, settings)


def _window(dt: float, n: int, settings: RepSettings) -> int:
    """Frames in ``level_window_s`` at frame interval ``dt`` (1 to ``n``)."""
    return max(1, min(n, math.ceil(settings.level_window_s / dt - 1e-6)))


def _settle(t_s: np.ndarray, m: np.ndarray, finite: np.ndarray, best: int, k: int, top: float, dt: float,
            settings: RepSettings) -> Span:
    """The hold around the best window (frames ``best`` to ``best + k - 1``, its minimum ``top``):
    run, level and tolerance taken again until they settle (:func:`hold_span`); ``dt`` the frame interval."""
    run, tol, peak = (best, best + k - 1), settings.max_tolerance_deg, top
    edge = top - tol  # wide at first: the best window may sit on the top of the reading's wander
    for _ in range(6):
        inside = _bridged((finite & (m >= edge)) | ~finite, t_s, settings.return_s)
        new = next(((a, b) for a, b in _runs(inside) if a <= best <= b), (best, best + k - 1))
        vals = m[new[0] : new[1] + 1][finite[new[0] : new[1] + 1]]
        peak = _central_level(vals) if vals.size else top
        tol = min(settings.max_tolerance_deg,
                  max(settings.hold_tolerance_deg, settings.spread_factor * _robust_sd(vals)))
        settled, run, edge = new == run, new, peak - tol
        if settled:
            break
    r0, r1 = run
    above = np.flatnonzero(finite & (m >= edge))
    above = above[(above >= r0) & (above <= r1)]
    a, b = (int(above[0]), int(above[-1])) if above.size else (r0, r1)
    start = _edge(t_s[a - 1], t_s[a], m[a - 1], m[a], edge, tol, True) if a > 0 else float(t_s[a])
    end = _edge(t_s[b], t_s[b + 1], m[b], m[b + 1], edge, tol, False) if b + 1 < m.shape[0] else float(t_s[b])
    return Span(a, b, start, end, peak, seen_s(t_s, finite, start, end, dt))


def _bridged(mask: np.ndarray, t_s: np.ndarray, max_s: float) -> np.ndarray:
    """``mask`` with its gaps (runs of False between Trues) shorter than ``max_s`` filled."""
    out = mask.copy()
    runs = _runs(~mask)
    for a, b in runs:
        if a > 0 and b + 1 < mask.shape[0] and t_s[b + 1] - t_s[a - 1] < max_s + 1e-9:
            out[a : b + 1] = True
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) of every run of True."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


class RunningHold:
    """:func:`hold_span` of the frames so far, one frame added at a time (the same numbers).

    The frames are kept in arrays that grow by doubling, the frame differences sorted (their
    median is the frame interval), and for each window length the minima of the windows so far
    and the first best one: a new frame adds one difference and the new windows' minima.
    """

    def __init__(self, settings: RepSettings) -> None:
        self.settings = settings
        self.n = 0
        self._t = np.empty(64)
        self._m = np.empty(64)
        self._diffs: list[float] = []  # sorted
        self._top_seen = -math.inf  # the highest measured angle so far
        self.last_seen = -1  # index of the last measured frame
        self._levels: dict[int, tuple[int, int, float]] = {}  # k -> (windows so far, the best, its minimum)

    def add(self, t_s: float, m: float) -> None:
        """One more frame: seconds, angle (NaN = unmeasured)."""
        if self.n == self._t.shape[0]:
            self._t = np.concatenate([self._t, np.empty_like(self._t)])
            self._m = np.concatenate([self._m, np.empty_like(self._m)])
        if self.n:
            bisect.insort(self._diffs, t_s - float(self._t[self.n - 1]))
        self._t[self.n], self._m[self.n] = t_s, m
        if math.isfinite(m):
            self.last_seen, self._top_seen = self.n, max(self._top_seen, m)
        self.n += 1

    @property
    def t_s(self) -> np.ndarray:
        """(n,) the frames' seconds (a view)."""
        return self._t[: self.n]

    @property
    def m(self) -> np.ndarray:
        """(n,) the frames' angles (a view)."""
        return self._m[: self.n]

    def span(self) -> Span:
        """:func:`hold_span` of the frames so far (at least one)."""
        t, m = self.t_s, self.m
        dt = self.interval_s
        k = _window(dt, self.n, self.settings)
        best, low = self._best(k)
        top = low if math.isfinite(low) else (self._top_seen if self.last_seen >= 0 else math.nan)
        return _settle(t, m, np.isfinite(m), best, k, top, dt, self.settings)

    @property
    def interval_s(self) -> float:
        """``frame_interval_s`` of the frames so far: the median of their differences."""
        d = self._diffs
        if not d:
            return 1.0 / 30.0
        mid = len(d) // 2
        dt = float(np.median(np.asarray(d[mid - 1 : mid + 1] if len(d) % 2 == 0 else d[mid : mid + 1])))
        return dt if dt > 0 else 1.0 / 30.0

    def _best(self, k: int) -> tuple[int, float]:
        """The first window of ``k`` frames with the highest minimum (unmeasured = -inf), and that minimum."""
        done, best, low = self._levels.get(k, (0, 0, -math.inf))
        if done < self.n - k + 1:
            tail = self._m[done : self.n]
            new = sliding_window_view(np.where(np.isfinite(tail), tail, -np.inf), k).min(axis=1)
            i = int(np.argmax(new))
            if done == 0 or new[i] > low:
                best, low = done + i, float(new[i])
            done += new.shape[0]
            self._levels[k] = (done, best, low)
        return best, low
