"""Repetitions of a camera-followed exercise (the seated chair rotation): counted, holds timed.

One side's angle series in, one :class:`Rep` per repetition out:
:class:`RepCounter` decides one frame at a time (the live page), and
:func:`find_reps` runs that same counter over a whole series, so both give the
same reps (a test asserts it).

A **repetition** is one excursion toward the exercise's direction and back:

1. ``m(t) = s * angle(t)`` (``s = +1`` internal, ``-1`` external); unmeasured
   frames keep the last measured value for this step only (a lost frame does
   not end a rep).
2. A rep begins where ``m`` leaves rest (``m > rest_deg``) or, after a rep
   that stopped short of rest, at the lowest point since; it counts when it
   goes beyond ``start_deg`` and beyond ``1 / return_fraction`` times that
   lowest point. It ends on the first frame back within ``rest_deg`` of rest,
   or once it has stayed ``return_s`` at ``return_fraction`` of its own highest
   point or under, whichever comes first:
   two turns are two reps when the angle came back at least half way between
   them (``return_fraction`` = 0.5), whatever rest they reached, and never when
   it only wavered (jitter near rest or at a hold is far under half a rep; see
   :class:`RepSettings`). Each frame is decided with the frames already seen,
   so the batch form is the live counter run over the series. A movement
   under way before any frame was measured (a recording or a count that
   starts mid-turn) is no rep: where it began was not seen, and its way back
   alone would read as a rep.
3. Its **peak** is the level held longest: the best level ``L`` sustained
   over ``level_window_s``, then the interquartile mean of the run of samples
   around it within a tolerance of that mean (``hold_tolerance_deg``, or three
   times the run's own robust SD, up to ``max_tolerance_deg``; dips shorter than
   ``return_s`` bridged), run, mean and tolerance taken again until they settle.
4. Its **hold** runs from where ``m`` rises through ``peak - tolerance``
   to where it falls back through it, both crossings interpolated between
   frames (so the time does not step with the frame rate) and continued at
   the movement's speed to the peak (see :func:`hiprom.assessment.hold._edge`); a stretch
   the leg was unseen for more than ``MAX_UNSEEN_S`` is not counted in it (a person unseen that
   long may have let go: :func:`hiprom.assessment.trials.seen_s`).
5. It is **refused** when compensation (pelvis hike, trunk lean, knee drift)
   is flagged on at least ``flag_fraction`` of the hold, and **not counted**
   when released early: held less than the dose's hold minus ``hold_grace_s``.

Times are seconds, angles degrees (``+`` internal), peaks positive magnitudes;
``to_dict`` rounds with the one rule (``hiprom.rounding``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hiprom.assessment.hold import RunningHold, hold_span
from hiprom.assessment.trials import DIRECTIONS, frames_seen_s, seen_s
from hiprom.kinematics import COMPENSATION, flag_names
from hiprom.rounding import rounded, rounded_list

RELEASED_EARLY = "released_early"
UNFINISHED = "unfinished"


@dataclass(frozen=True)
class RepSettings:
    """Thresholds of the repetition counter (degrees and seconds).

    Attributes:
        start_deg: a rep must go this far toward the direction; the trial
            detector's noise floor (8 deg, inside the 6-9 deg MDC).
        rest_deg: a rep begins when the angle leaves this band about 0 deg, and is over
            when back inside it (or at ``return_fraction`` of its peak, which comes first).
        return_fraction: a rep is over when the angle is back to this share of its
            highest point (half way), and the next one counts once it rises beyond its
            low point divided by it (twice the low point). Half way never leaves less
            than the 4 deg between ``rest_deg`` and ``start_deg`` between the two
            thresholds (an 8 deg rep ends at 4 deg; after a low point of 4.1 deg the next
            counts beyond 8.2 deg) and more for larger reps (a 30 deg rep ends at 15 deg).
            The detector's jitter at a still position of the rendered clips' real frames
            (real pose model, live meter) is at most 3.8 deg peak to peak, its largest
            fall below a hold's running top 3.1 deg (``benchmarks/bench_reps.py --real``);
            people near their limit come back 55-80 % of the way (the clips' ramp
            frames at 45 % and 20 % of the peak), over half way.
        return_s: the angle must stay back at ``return_fraction`` of the peak this long for
            the rep to end there (within ``rest_deg`` it ends at once, as always): one or two
            frames of the pose model's glitch (36.7, 13.6, 20.4, 32.4 deg in 0.2 s, mid-hold,
            on a real-frame set with the other leg hidden) are no return, while a real turn
            back and up again spends 0.4 s at least under half its peak (two 0.4 s ramps,
            the rendered clips' speed, half of each under half).
        hold_tolerance_deg: samples within this of the peak belong to the hold at least;
            small, so the ramps add little to the hold time (about 0.1 s for a
            0.5 s ramp to 25 deg).
        spread_factor, max_tolerance_deg: the tolerance grows to ``spread_factor`` times the
            robust SD of the hold's own samples (the pose model's jitter and wander at a held
            position: up to 3 deg peak to peak on the rendered clips' real frames, more with the
            other leg hidden), at most ``max_tolerance_deg``: a fixed 1.5 deg cut real holds short
            (77 of 96 real-frame reps counted live, now 95), while a let-go of more than 4 deg for
            more than ``return_s`` still ends the hold.
        level_window_s: the peak level must be sustained this long (a flick is not a hold).
        hold_grace_s: a hold this much shorter than the dose still meets it.
        flag_fraction: a compensation flag refuses the rep when set on this share of the hold.
    """

    start_deg: float = 8.0
    rest_deg: float = 4.0
    return_fraction: float = 0.5
    return_s: float = 0.2
    hold_tolerance_deg: float = 1.5
    spread_factor: float = 3.0
    max_tolerance_deg: float = 4.0
    level_window_s: float = 0.3
    hold_grace_s: float = 0.2
    flag_fraction: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 < self.return_fraction < 1.0:
            raise ValueError(f"return_fraction must be between 0 and 1, but got {self.return_fraction!r}")


@dataclass(frozen=True)
class Rep:
    """One repetition, as the counter saw it.

    Attributes:
        number: 1, 2, ... in order of time.
        start_s, end_s: where the rep began (left rest, or its low point) and ended (back
            within ``rest_deg`` or ``return_fraction`` of its peak).
        peak_deg: the held level (positive, in the exercise's direction).
        hold_s, hold_start_s, hold_end_s: the hold at the peak: the time held (the time between
            its start and end while the leg was seen: a stretch unseen for more than
            ``MAX_UNSEEN_S`` is not counted), where it began and ended.
        counted: the rep counts toward the dose (no compensation, held long enough).
        reasons: why not, e.g. ``("pelvis_hike",)``, ``("released_early",)``.
    """

    number: int
    start_s: float
    end_s: float
    peak_deg: float
    hold_s: float
    hold_start_s: float
    hold_end_s: float
    counted: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded like the analysis (0.1 deg, 1 ms)."""
        return {
            "number": self.number,
            "start_s": rounded(self.start_s, 3),
            "end_s": rounded(self.end_s, 3),
            "peak_deg": rounded(self.peak_deg, 1),
            "hold_s": rounded(self.hold_s, 2),
            "hold_start_s": rounded(self.hold_start_s, 3),
            "hold_end_s": rounded(self.hold_end_s, 3),
            "counted": self.counted,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Rep:
        """The rep of :meth:`to_dict` (one a page kept across a lost connection); ValueError when it is not one."""
        try:
            return cls(
                number=int(data["number"]),
                **{k: float(data[k]) for k in ("start_s", "end_s", "peak_deg", "hold_s", "hold_start_s", "hold_end_s")},
                counted=bool(data["counted"]),
                reasons=tuple(str(r) for r in data["reasons"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a rep: {exc}") from exc


def _sign(direction: str) -> float:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, but got {direction!r}")
    return 1.0 if direction == "internal" else -1.0


def measure_rep(
    t_s: np.ndarray,
    m: np.ndarray,
    bits: np.ndarray,
    number: int,
    hold_target_s: float,
    settings: RepSettings,
    *,
    closed: bool = True,
) -> Rep:
    """Peak, hold and verdict of one rep from its frames.

    Args:
        t_s: (k,) seconds: the frame before the rep (at rest or its low point), the
            rep, and the frame that closed it when ``closed``.
        m: (k,) angle toward the exercise's direction, NaN = unmeasured.
        bits: (k,) quality flag bits.
        number: the rep's number.
        hold_target_s: the dose's hold (0 = any hold).
        settings: thresholds.
        closed: False for a rep still under way when the recording ended.
    """
    a, b, start, end, peak, hold_s = hold_span(t_s, m, settings)

    hold_bits = bits[a : b + 1].astype(np.int64)
    reasons: list[str] = []
    for bit in (int(f) for f in COMPENSATION):
        if hold_bits.size and np.mean((hold_bits & bit) != 0) >= settings.flag_fraction - 1e-9:
            reasons.extend(flag_names(bit))
    if not closed:
        reasons.append(UNFINISHED)
    elif hold_target_s > 0 and hold_s < hold_target_s - settings.hold_grace_s:
        reasons.append(RELEASED_EARLY)
    first = 1 if t_s.shape[0] > 1 else 0
    return Rep(
        number=number,
        start_s=float(t_s[first]),
        end_s=float(t_s[-1]),
        peak_deg=float(peak),
        hold_s=float(hold_s),
        hold_start_s=float(start),
        hold_end_s=float(end),
        counted=not reasons,
        reasons=tuple(reasons),
    )


def find_reps(
    t_s: np.ndarray,
    angle_deg: np.ndarray,
    flags: np.ndarray,
    direction: str,
    hold_target_s: float = 0.0,
    settings: RepSettings = RepSettings(),
) -> list[Rep]:
    """Every repetition in one side's series: :class:`RepCounter` run over it, then finished.

    Args:
        t_s: (n,) seconds, increasing.
        angle_deg: (n,) signed angle of the exercised side, ``+`` internal, NaN = unmeasured.
        flags: (n,) quality flag bits of that side.
        direction: "internal" or "external".
        hold_target_s: the dose's hold in seconds (0: any hold counts).
        settings: thresholds.
    """
    t = np.asarray(t_s, dtype=np.float64)
    angle = np.asarray(angle_deg, dtype=np.float64)
    n = angle.shape[0]
    if t.shape != (n,):
        raise ValueError(f"t_s must have shape ({n},), but got shape {t.shape}")
    bits = np.broadcast_to(np.asarray(flags).astype(np.int64), (n,))
    counter = RepCounter(direction, hold_target_s, settings)
    for i in range(n):
        counter.update(float(t[i]), float(angle[i]), int(bits[i]))
    counter.finish()
    return counter.reps


class RepCounter:
    """The repetition counter, one frame at a time (the one definition; :func:`find_reps` runs it).

    ``update`` returns a :class:`Rep` on the frame that closes it; ``finish``
    closes a rep still under way. Between reps the counter is at rest, or low:
    back from a rep at least ``return_fraction`` of its way but not within
    ``rest_deg``, keeping the frames from the lowest point since, where the
    next rep begins if it goes far enough.
    """

    def __init__(self, direction: str, hold_target_s: float = 0.0, settings: RepSettings = RepSettings()) -> None:
        self.direction = direction
        self.hold_target_s = float(hold_target_s)
        self.settings = settings
        self._sign = _sign(direction)
        self._last_seen = 0.0
        self._prev: tuple[float, float, int] | None = None
        self._buf: list[tuple[float, float, int]] = []  # the rep under way, from the frame before it
        self._low: float | None = None  # low (not within rest_deg) after a rep: the lowest angle since
        self._rest_seen = False  # a frame measured at rest has been seen (a rep's start can be)
        self._start_seen = False  # the rep under way began after such a frame
        self._went_far = False
        self._top = -math.inf  # the highest angle of the rep under way (unmeasured frames keep the last)
        self._back_t: list[float] = []  # the rep went far and is back near, not at, rest: its frames seen since
        # Back to return_fraction of the top since (t_s, index in _buf and angle of the lowest frame since).
        self._return: tuple[float, int, float] | None = None
        self._running = RunningHold(settings)  # the hold timer of the frames in _running_of
        self._running_of: list[tuple[float, float, int]] | None = None
        self.reps: list[Rep] = []

    @property
    def reps_done(self) -> int:
        """Reps that count so far."""
        return sum(rep.counted for rep in self.reps)

    @property
    def _under_way(self) -> bool:
        """Frames of a rep are kept: away from rest, or gone far from a low point."""
        return bool(self._buf) and (self._low is None or self._went_far)

    @property
    def in_rep(self) -> bool:
        """A rep is under way (one begun unseen is none)."""
        return self._under_way and self._start_seen

    def hold_so_far_s(self, t_s: float) -> float:
        """How long the rep under way has held its level so far (0 at rest, or once let go).

        Timed by the rep's own measure (:func:`~hiprom.assessment.hold.hold_span`, the same run, level
        and tolerance) over the frames so far, up to the last frame in the hold: a leg unseen is not
        known to be held, and a reading under the hold for longer than a glitch (``return_s``) is a
        let-go; like the rep's, it does not run while the leg was unseen for more than ``MAX_UNSEEN_S``
        (``seen_s``). The frames are added to a :class:`~hiprom.assessment.hold.RunningHold` as they come,
        not read again at each frame.
        """
        if not self.in_rep:
            return 0.0
        self._sync_running()
        if self._running.last_seen < 0:
            return 0.0
        span = self._running.span()
        t = self._running.t_s
        if t[self._running.last_seen] - t[span.last] > self.settings.return_s + 1e-9:
            return 0.0
        return seen_s(t, np.isfinite(self._running.m), span.start_s, min(t_s, float(t[span.last])),
                      self._running.interval_s)

    def _sync_running(self) -> None:
        """Add the rep under way's new frames to its :class:`~hiprom.assessment.hold.RunningHold`."""
        if self._running_of is not self._buf:  # a new rep's frames (the list is only appended to meanwhile)
            self._running, self._running_of = RunningHold(self.settings), self._buf
        for frame in self._buf[self._running.n :]:
            self._running.add(frame[0], frame[1])

    def back_so_far_s(self, t_s: float) -> float:
        """How long a rep that went far has been back within ``start_deg`` without ending (0 otherwise), up to
        the last frame that saw the leg by ``t_s``: a small rep not back within ``rest_deg`` nor to
        ``return_fraction`` of its peak is not over, and the next one would be counted with it. Timed as a
        hold: not across more than ``MAX_UNSEEN_S`` without frames or without the leg
        (:func:`~hiprom.assessment.trials.frames_seen_s` over the frames seen back, at the rep's frame
        interval), nor while it is not seen."""
        if not self.in_rep:
            return 0.0
        self._sync_running()
        return frames_seen_s([b for b in self._back_t if b <= t_s], self._running.interval_s)

    def status(self, t_s: float) -> dict[str, Any]:
        """What the live page shows and says now: the count, the hold running, the last rep.

        ``{"direction", "reps_done", "reps_refused", "in_rep", "hold_s", "hold_target_s",
        "back_s", "last_rep"}``; ``back_s`` is :meth:`back_so_far_s`; ``last_rep`` is the last
        finished rep (``Rep.to_dict``) or None.
        """
        return {
            "direction": self.direction,
            "reps_done": self.reps_done,
            "reps_refused": len(self.reps) - self.reps_done,
            "in_rep": self.in_rep,
            "hold_s": rounded(self.hold_so_far_s(t_s), 1),
            "hold_target_s": self.hold_target_s,
            "back_s": rounded(self.back_so_far_s(t_s), 1),
            "last_rep": self.reps[-1].to_dict() if self.reps else None,
        }

    def update(self, t_s: float, angle_deg: float, flags: int = 0) -> Rep | None:
        """Take one frame; returns the rep this frame closed, if any."""
        cfg = self.settings
        m = self._sign * float(angle_deg) if math.isfinite(angle_deg) else math.nan
        if math.isfinite(m):
            self._last_seen = m
        level = self._last_seen
        frame = (float(t_s), m, int(flags))
        done: Rep | None = None
        if level <= cfg.rest_deg:  # at rest: the rep under way ends, a low point is left
            if self._under_way:
                self._buf.append(frame)
                done = self._close(closed=True)
            self._reset()
        elif self._low is not None and not self._went_far and level <= self._low:
            self._reset(low=level)  # a lower point: the next rep would begin here
            self._buf = [frame]
            self._start_seen = self._rest_seen
        else:
            if not self._buf:  # leaving rest
                self._start_seen = self._rest_seen
                if self._prev is not None:
                    self._buf.append(self._prev)
            self._buf.append(frame)
            self._top = max(self._top, level)
            far = max(cfg.start_deg, self._low / cfg.return_fraction if self._low is not None else -math.inf)
            self._went_far |= level > far
            returned = self._went_far and level <= cfg.return_fraction * self._top  # back at least that share
            if not returned:
                self._return = None
            elif self._return is None or level <= self._return[2]:
                self._return = (self._return[0] if self._return else frame[0], len(self._buf) - 1, level)
            if self._return is not None and frame[0] - self._return[0] >= cfg.return_s - 1e-9:
                done = self._close(closed=True)
                low_at, low = self._return[1:]
                rest_of, self._buf = self._buf[low_at:], []
                self._reset(low=low)
                self._start_seen = self._rest_seen
                far, seen = low / cfg.return_fraction, low
                for kept in rest_of:  # the next rep's frames so far: from the lowest point on
                    self._buf.append(kept)
                    seen = kept[1] if math.isfinite(kept[1]) else seen
                    self._top, self._went_far = max(self._top, seen), self._went_far or seen > max(far, cfg.start_deg)
            else:
                back = self._went_far and level <= cfg.start_deg
                if not back:
                    self._back_t = []
                elif math.isfinite(m):
                    self._back_t.append(frame[0])
        self._rest_seen |= math.isfinite(m)
        self._prev = frame
        return done

    def finish(self) -> Rep | None:
        """Close a rep still under way (the recording or the exercise ended)."""
        rep = self._close(closed=False) if self._under_way else None
        self._reset()
        return rep

    def _reset(self, low: float | None = None) -> None:
        """No rep under way: at rest (``low`` None) or at the low point ``low``."""
        self._buf, self._low, self._went_far, self._top = [], low, False, -math.inf
        self._back_t = []
        self._return = None

    def _close(self, closed: bool) -> Rep | None:
        """The rep of the frames kept (None when it never went far or began unseen)."""
        if not (self._went_far and self._start_seen):
            return None
        t, m, bits = (np.array(col) for col in zip(*self._buf))
        rep = measure_rep(t, m.astype(np.float64), bits.astype(np.int64), len(self.reps) + 1,
                          self.hold_target_s, self.settings, closed=closed)
        self.reps.append(rep)
        return rep


EXERCISE_SCHEMA = "hiprom.exercise/1"


def exercise_result(
    exercise_id: str,
    side: str,
    direction: str,
    reps: list[Rep],
    dose: Mapping[str, int],
) -> dict[str, Any]:
    """The stored record of one counted exercise (``hiprom.exercise/1``).

    Args:
        exercise_id, side, direction: what was done.
        reps: the reps found (:func:`find_reps` or ``RepCounter.reps``).
        dose: ``{"hold_s", "reps", "sets"}`` the reps were held against.

    Returns:
        ``{"schema", "exercise", "side", "direction", "dose", "reps_done", "reps_target",
        "reps_refused", "holds_s", "peaks_deg", "reps"}``; ``reps_target`` is
        ``reps * sets`` of the dose, ``holds_s`` and ``peaks_deg`` are per rep.
    """
    return {
        "schema": EXERCISE_SCHEMA,
        "exercise": exercise_id,
        "side": side,
        "direction": direction,
        "dose": dict(dose),
        "reps_done": sum(r.counted for r in reps),
        "reps_target": int(dose.get("reps", 0)) * int(dose.get("sets", 1)),
        "reps_refused": sum(not r.counted for r in reps),
        "holds_s": rounded_list((r.hold_s for r in reps), 2),
        "peaks_deg": rounded_list((r.peak_deg for r in reps), 1),
        "reps": [r.to_dict() for r in reps],
    }
