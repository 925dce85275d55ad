"""Trials and held peaks, found in one side's per-frame angle series.

A **trial** is one excursion from neutral (rest, about 0 deg) to an extreme
and back, in one direction: internal (angle > 0) or external (angle < 0). Its
**held peak** is the extreme the subject *sustained* for at least
``min_hold_s``, so that a one-frame spike, or a flick that is not held, never
counts:

1. ``m(t) = s * angle(t)``, with ``s = +1`` for internal and ``-1`` for external.
2. Sustained level ``L = max_i min_{j in W_i} m_j``: the highest level the angle
   stayed above for a whole window ``W_i`` of ``k = ceil(min_hold_s / dt)`` frames.
   A single high frame cannot lift any window's minimum.
3. The hold is the contiguous stretch around the best window where
   ``m >= L - tol``; the held peak is the robust centre of the hold's samples
   (their interquartile mean). Its time counts only while the leg was seen
   (:func:`seen_s`: a stretch unseen for more than ``MAX_UNSEEN_S`` is paused). ``L`` alone is biased by noise (low
   for long windows: a minimum of noisy samples; high for short ones: a
   maximum over many windows); the centre of the whole hold is not.
4. The trial does not count when the leg was not seen at its extreme: frames without it there
   (``unmeasured_at_peak``, or the flags those frames carry), or mostly a gap without any frames
   longer than ``MAX_UNSEEN_S`` (``no_pictures_at_peak``: the pictures stopped) (:func:`_hold_region`).

One-frame spikes are replaced by their neighbours' median first
(:func:`despike`), so they never start a trial or move a peak; longer
blips cannot lift a window's minimum, and the interquartile mean trims them.

Everything works on time, not frame counts alone (5-60 fps), ignores NaN
frames (unmeasurable) and never looks at the other side, so one leg at a time
and both legs at once are the same problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from hiprom.assessment.norms import TrialSettings
from hiprom.kinematics.smoothing import unseen as _unseen
from hiprom.rounding import rounded

DIRECTIONS: tuple[str, str] = ("internal", "external")
"""Trial directions; ``internal`` is the positive angle."""

HOLD_WANDER = 2.0
"""A held peak's uncertainty includes this many robust SDs of its hold's samples. The leg is held
still, so a reading that wanders during the hold shows landmarks that are not locked on the joint;
their error is systematic (it does not average out over the frames), and on the rendered runs it was
of the size of the wander: fitted with the kernel's visibility term over all 30 runs, 99 % of held
peaks within 2 u, median u 2.0 deg (``docs/accuracy.md``)."""

# Reasons the assessment itself adds (beside the kernel's flag names).
HOLD_TOO_SHORT = "hold_too_short"
BELOW_MIN_EXCURSION = "below_min_excursion"
GAP_AT_PEAK = "unmeasured_at_peak"
NO_PICTURES_AT_PEAK = "no_pictures_at_peak"


@dataclass(frozen=True)
class FlagRules:
    """How the kernel's per-frame flag bits bear on a trial.

    Attributes:
        invalidating: bits that make a trial invalid when present during the hold
            (compensation, poor visibility, leg out of frame, no person); other
            bits set on the hold are listed on the trial as warnings.
        names: turns a bit set into flag names, e.g. ``["pelvis_hike"]``.
        method_names: names of the kernel's method codes (index = code).
    """

    invalidating: int = 0
    names: Callable[[int], list[str]] = field(default=lambda bits: [f"flag_{bits:#x}"] if bits else [])
    method_names: Sequence[str] = ("none", "frontal", "world")


@dataclass(frozen=True)
class Trial:
    """One detected trial of one side and direction.

    Times are seconds from the first frame; angles are degrees, peaks positive
    magnitudes measured from 0 deg (shank vertical). ``*_index`` are frame
    indices into the series the trial was found in (inclusive).
    """

    side: str
    direction: str
    peak_deg: float
    peak_unc_deg: float
    peak_t_s: float
    start_s: float
    end_s: float
    hold_s: float
    hold_start_s: float
    hold_end_s: float
    valid: bool
    flags: tuple[str, ...]
    reasons: tuple[str, ...]
    method: str
    start_index: int
    end_index: int
    hold_start_index: int
    hold_end_index: int

    def to_dict(self) -> dict[str, Any]:
        """The trial as a ``hiprom.analysis/1`` trial entry (rounded, JSON-safe)."""
        return {
            "side": self.side,
            "direction": self.direction,
            "peak_deg": rounded(self.peak_deg, 1),
            "peak_unc_deg": rounded(self.peak_unc_deg, 1),
            "peak_t_s": rounded(self.peak_t_s, 3),
            "start_s": rounded(self.start_s, 3),
            "end_s": rounded(self.end_s, 3),
            "hold_s": rounded(self.hold_s, 3),
            "hold_start_s": rounded(self.hold_start_s, 3),
            "hold_end_s": rounded(self.hold_end_s, 3),
            "valid": bool(self.valid),
            "flags": list(self.flags),
            "reasons": list(self.reasons),
            "method": self.method,
        }


def frame_interval_s(t_s: np.ndarray) -> float:
    """Typical time between frames (median of the differences); 1/30 s for < 2 frames."""
    if t_s.shape[0] < 2:
        return 1.0 / 30.0
    dt = float(np.median(np.diff(t_s)))
    return dt if dt > 0 else 1.0 / 30.0


def seen_s(t_s: np.ndarray, seen: np.ndarray, start_s: float, end_s: float, dt_s: float) -> float:
    """Seconds of ``[start_s, end_s]`` the leg was seen: a hold's time, paused while it was not.

    The time between two consecutive measured frames (``seen``, (n,) bool beside ``t_s``, (n,)
    seconds) counts when the leg was unseen between them for at most :data:`~hiprom.kinematics.smoothing.MAX_UNSEEN_S` (their
    distance less ``dt_s``, the frame interval), and not at all when for longer: a person unseen that
    long may have let go. Parts of the span before the first or after the last measured frame count
    the same way (the span's ends taken as the frames there). With no such gap it is
    ``end_s - start_s`` (0 when that is negative).
    """
    if end_s <= start_s:
        return 0.0
    s = t_s[seen]
    i0 = int(np.searchsorted(s, start_s, side="right"))  # s[:i0] <= start_s
    i1 = int(np.searchsorted(s, end_s, side="left"))  # s[i1:] >= end_s
    before = s[i0 - 1] if i0 > 0 else start_s
    after = s[i1] if i1 < s.shape[0] else end_s
    frames = np.concatenate([[before], s[i0:i1], [after]])  # the measured frames around and in the span
    unseen = _unseen(np.diff(frames), dt_s)
    if not unseen.any():
        return float(end_s - start_s)
    inside = np.minimum(frames[1:], end_s) - np.maximum(frames[:-1], start_s)  # each gap's part in the span
    return float(np.sum(inside[~unseen]))


def frames_seen_s(t_s: Sequence[float] | np.ndarray, dt_s: float | None = None) -> float:
    """Seconds from the first to the last of the frame times ``t_s`` ((n,) seconds, increasing) that
    a live timer counts: a gap of more than :data:`~hiprom.kinematics.smoothing.MAX_UNSEEN_S` without frames (a tab hidden, the
    camera covered, a connection stalled) is not counted, as a hold's (:func:`seen_s`); 0 for < 2 frames.

    ``dt_s``: the source's frame interval, when known from more frames than these (a timer's first
    frames either side of a gap are too few to tell the gap from the interval); else theirs.
    """
    t = np.asarray(t_s, dtype=float)
    if t.shape[0] < 2:
        return 0.0
    dt = frame_interval_s(t) if dt_s is None else float(dt_s)
    return seen_s(t, np.ones(t.shape[0], dtype=bool), float(t[0]), float(t[-1]), dt)


def rest_offset_deg(angle_deg: np.ndarray, settings: TrialSettings) -> float:
    """Robust rest level of one side: the median of the frames near 0 deg.

    Only frames within ``max_rest_offset_deg`` of 0 count, so the excursions do
    not pull it; with too few such frames the rest level is taken as 0.
    """
    a = angle_deg[np.isfinite(angle_deg)]
    near = a[np.abs(a) <= settings.max_rest_offset_deg]
    if near.size < max(3, 0.1 * a.size):
        return 0.0
    return float(np.median(near))


def despike(angle_deg: np.ndarray, min_jump_deg: float = 5.0) -> np.ndarray:
    """Replace one-frame spikes by the median of the frame and its two neighbours.

    A frame further than ``min_jump_deg`` from ``median(a[i-1], a[i], a[i+1])``
    sticks out above (or below) both neighbours: a spike. A monotonic stretch
    (a ramp) is untouched, since its middle frame *is* the median, and so is
    any extreme that lasts two frames or more. Frames beside a NaN (and the
    first and last) are kept as they are.
    """
    a = np.asarray(angle_deg, dtype=np.float64)
    if a.shape[0] < 3:
        return a.copy()
    local = a.copy()
    local[1:-1] = np.median(sliding_window_view(a, 3), axis=1)  # NaN wherever a neighbour is NaN
    spike = np.isfinite(local) & (np.abs(a - local) > min_jump_deg)
    return np.where(spike, local, a)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) index of every run of True in ``mask``."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def _sustained(m: np.ndarray, k: int) -> np.ndarray:
    """Per window start, the minimum of ``m`` over ``k`` frames (-inf if too sparse).

    ``L_i = min(m_i .. m_{i+k-1})`` over the finite samples; a window needs at
    least 3/4 of its frames (and 2) measured to count.
    """
    n = m.shape[0]
    if n < k:
        return np.full(0, -np.inf)
    finite = np.isfinite(m)
    filled = np.where(finite, m, np.inf)
    level = sliding_window_view(filled, k).min(axis=1)
    count = sliding_window_view(finite, k).sum(axis=1)
    level[(count < max(2, math.ceil(0.75 * k))) | ~np.isfinite(level)] = -np.inf
    return level


def _robust_sd(x: np.ndarray) -> float:
    """Standard deviation from the median absolute deviation (1.4826 * MAD)."""
    if x.size < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def _merge_runs(
    runs: list[tuple[int, int]], sd: np.ndarray, finite: np.ndarray, t_s: np.ndarray, dt: float, s: TrialSettings
) -> list[tuple[int, int]]:
    """Join same-direction runs split by a short dip or only by unmeasured frames.

    Unmeasured frames join them however long they last, as a gap without any frames does (no
    measured frame came back to neutral): one movement, its hold paused there (:func:`seen_s`) and,
    when they lie at its extreme, not counted (:func:`_hold_region`).
    """
    merged: list[tuple[int, int]] = []
    for run in runs:
        if merged:
            a, b = merged[-1][1], run[0]
            gap = slice(a + 1, b)
            dur = float(t_s[b] - t_s[a]) - dt
            opposite = bool(np.any(finite[gap] & (sd[gap] < -s.active_deg)))
            unseen = not np.any(finite[gap])
            if not opposite and (unseen or dur <= s.merge_gap_s + 1e-9):
                merged[-1] = (merged[-1][0], run[1])
                continue
        merged.append(run)
    return merged


def _extend(
    run: tuple[int, int], sd: np.ndarray, finite: np.ndarray, lo_bound: int, hi_bound: int, thr: float
) -> tuple[int, int]:
    """Widen a run to where the angle left / came back to neutral (within ``thr``)."""
    i0, i1 = run
    while i0 - 1 >= lo_bound and finite[i0 - 1] and sd[i0 - 1] > thr:
        i0 -= 1
    while i1 + 1 <= hi_bound and finite[i1 + 1] and sd[i1 + 1] > thr:
        i1 += 1
    return i0, i1


def _hold_region(
    m: np.ndarray, t_s: np.ndarray, dt: float, first: int, last: int, lo: float, w0: int, w1: int
) -> tuple[int, int, tuple[int, int], int, int]:
    """Grow [first, last] while samples stay >= ``lo``; NaN frames are bridged.

    Returns (r0, r1, (e0, e1), unmeasured, missing): the hold's inclusive bounds, the
    frames the walk looked at (inclusive), and how many
    frames lie unseen inside it or right beside it, up to the first measured frame
    under ``lo``, or beyond the excursion's frames ``w0``-``w1`` when the leg was lost
    at the hold and next seen back at rest (where the angle might have gone higher
    unseen either way): NaN frames
    (``unmeasured``), and the frames (of interval ``dt``) a gap without any would
    have held when it is too long for the leg to count as seen (``missing``;
    :func:`~hiprom.kinematics.smoothing.unseen`: a tab hidden, a camera stalled).
    Shorter gaps are a source's ordinary frame interval.
    """
    r0, r1 = first, last
    n = m.shape[0]
    reach = [first, last]  # the frames the walk looked at, each way
    for side, (step, bound) in enumerate(((-1, w0), (1, w1))):
        i = (r0 if step < 0 else r1) + step
        while 0 <= i < n:
            if np.isfinite(m[i]) and m[i] >= lo and (i >= bound if step < 0 else i <= bound):
                if step < 0:
                    r0 = i
                else:
                    r1 = i
            elif np.isfinite(m[i]):
                break  # under lo, or the first frame seen beyond the excursion: the leg was seen there
            i += step
        reach[side] = min(max(i, 0), n - 1)
    e0, e1 = reach
    gaps = np.diff(t_s[e0 : e1 + 1])
    missing = int(np.sum(np.where(_unseen(gaps, dt), np.round(gaps / dt) - 1, 0)))
    return r0, r1, (e0, e1), int(np.sum(~np.isfinite(m[e0 : e1 + 1]))), missing


def find_trials(
    t_s: np.ndarray,
    angle_deg: np.ndarray,
    uncertainty_deg: np.ndarray,
    flags: np.ndarray,
    method: np.ndarray | None,
    side: str,
    settings: TrialSettings = TrialSettings(),
    rules: FlagRules = FlagRules(),
) -> list[Trial]:
    """Find the trials of one side.

    Args:
        t_s: (n,) seconds, increasing.
        angle_deg: (n,) signed angle, ``+`` internal, NaN where unmeasurable.
        uncertainty_deg: (n,) one standard uncertainty of each angle.
        flags: (n,) unsigned bit set of quality flags per frame.
        method: (n,) int method code per frame, or None.
        side: "left" or "right", copied into the trials.
        settings: hold, excursion and merge thresholds.
        rules: which flag bits invalidate a trial and how to name them.

    Returns:
        Trials of both directions, sorted by start time.
    """
    t_s = np.asarray(t_s, dtype=np.float64)
    a = np.asarray(angle_deg, dtype=np.float64)
    n = t_s.shape[0]
    if a.shape != (n,):
        raise ValueError(f"angle_deg must have shape ({n},), but got shape {a.shape}")
    a = despike(a)  # a one-frame spike must never make or change a trial
    unc = np.broadcast_to(np.asarray(uncertainty_deg, dtype=np.float64), (n,))
    bits = np.broadcast_to(np.asarray(flags).astype(np.int64), (n,))
    codes = None if method is None else np.broadcast_to(np.asarray(method).astype(np.int64), (n,))
    finite = np.isfinite(a)
    if n < 2 or not finite.any():
        return []
    dt = frame_interval_s(t_s)
    k = max(2, math.ceil(settings.min_hold_s / dt - 1e-6))  # frames that span the minimum hold
    k_short = max(2, math.ceil(k / 3))  # a brief extreme: longer than any spike
    rest = float(np.clip(rest_offset_deg(a, settings), -settings.max_rest_offset_deg, settings.max_rest_offset_deg))
    found: list[Trial] = []
    for direction, sign in (("internal", 1.0), ("external", -1.0)):
        sd = sign * (a - rest)  # deviation from rest toward this direction
        m = sign * a  # the angle in this direction, from 0 deg
        runs = _runs(finite & (sd > settings.active_deg))
        runs = _merge_runs(runs, sd, finite, t_s, dt, settings)
        prev_end = -1
        for idx, run in enumerate(runs):
            next_start = runs[idx + 1][0] - 1 if idx + 1 < len(runs) else n - 1
            w0, w1 = _extend(run, sd, finite, prev_end + 1, next_start, 0.5 * settings.active_deg)
            prev_end = w1
            trial = _measure_trial(
                t_s, m, -sign * rest, unc, bits, codes, (w0, w1), (k, k_short), dt, side, direction, settings, rules
            )
            if trial is not None:
                found.append(trial)
    return sorted(found, key=lambda tr: tr.start_s)


def _measure_trial(
    t_s: np.ndarray,
    m: np.ndarray,
    shift: float,
    unc: np.ndarray,
    bits: np.ndarray,
    codes: np.ndarray | None,
    bounds: tuple[int, int],
    windows: tuple[int, int],
    dt: float,
    side: str,
    direction: str,
    settings: TrialSettings,
    rules: FlagRules,
) -> Trial | None:
    """Held peak, hold, validity and flags of the excursion in frames ``bounds``.

    ``m`` is the angle toward this direction from 0 deg; ``m + shift`` is the
    same from the side's rest level. ``windows`` = (k, k_short) frames.
    """
    w0, w1 = bounds
    k, k_short = windows
    seg = m[w0 : w1 + 1]
    brief = _sustained(seg, min(k_short, seg.shape[0]))
    if brief.size == 0 or not np.isfinite(brief.max()) or brief.max() + shift < settings.min_excursion_deg:
        return None  # noise or a spike: never reached the noise floor for longer than a blink
    held = _sustained(seg, k)
    reasons: list[str] = []
    if held.size and np.isfinite(held.max()) and held.max() + shift >= settings.min_excursion_deg:
        best = int(np.argmax(held))
        first, last = w0 + best, w0 + best + k - 1
        level = float(held[best])
    else:
        # The extreme was reached but not held for min_hold_s: report the brief
        # extreme, and say why the trial does not count.
        best = int(np.argmax(brief))
        kb = min(k_short, seg.shape[0])
        first, last = w0 + best, w0 + best + kb - 1
        level = float(brief[best])
        held_level = float(held.max()) if held.size else -np.inf
        # A small excursion that *was* held is "below the noise floor", not "too short".
        small_but_held = np.isfinite(held_level) and level - held_level <= settings.hold_tolerance_deg
        reasons.append(BELOW_MIN_EXCURSION if small_but_held else HOLD_TOO_SHORT)
    window = m[first : last + 1]
    tol = max(settings.hold_tolerance_deg, 3.0 * _robust_sd(window[np.isfinite(window)]))
    r0, r1, (e0, e1), unmeasured, missing = _hold_region(m, t_s, dt, first, last, level - tol, w0, w1)
    hold = m[r0 : r1 + 1]
    vals = hold[np.isfinite(hold)]
    peak = _central_level(vals)
    hold_s = seen_s(t_s, np.isfinite(m), float(t_s[r0]), float(t_s[r1]), dt) + dt  # unseen: not held
    if not reasons and hold_s < settings.min_hold_s - 1e-6:
        reasons.append(HOLD_TOO_SHORT)

    # Flags during the hold: one is listed when set on >= flag_fraction of its
    # frames, and invalidates from there when it is an invalidating flag.
    hold_bits = bits[r0 : r1 + 1]
    seen = 0
    for bit in _bits_present(hold_bits):
        if np.mean((hold_bits & bit) != 0) >= settings.flag_fraction - 1e-9:
            seen |= bit
    counted = seen
    # Unseen at the extreme: the true peak may have been missed. Mostly without any pictures, that is
    # the reason (frames without the leg carry theirs: the leg out of the picture, hard to see).
    lo_i, hi_i = max(min(w0, e0), r0 - k_short), min(max(w1, e1), r1 + k_short)
    near = slice(lo_i, hi_i + 1)
    unseen_bits = 0
    if unmeasured + missing >= k_short and missing > unmeasured:
        reasons.append(NO_PICTURES_AT_PEAK)
    elif unmeasured + missing >= k_short:
        nan_near = ~np.isfinite(m[near])
        for b in bits[near][nan_near]:
            unseen_bits |= int(b)
        unseen_bits &= rules.invalidating
        if not unseen_bits:
            reasons.append(GAP_AT_PEAK)
    invalid_bits = (counted | unseen_bits) & rules.invalidating
    reasons = rules.names(invalid_bits) + reasons
    flag_list = sorted(set(rules.names(seen | unseen_bits)) | set(reasons))

    u_frame = float(np.nanmedian(unc[r0 : r1 + 1])) if np.isfinite(unc[r0 : r1 + 1]).any() else math.nan
    u_hold = HOLD_WANDER * _robust_sd(vals)  # the held leg stands still: its reading should too
    peak_unc = math.hypot(u_frame, u_hold) if math.isfinite(u_frame) else u_hold
    method_name = _mode_name(codes[r0 : r1 + 1][np.isfinite(hold)] if codes is not None else None, rules.method_names)
    mid = (r0 + r1) // 2
    return Trial(
        side=side,
        direction=direction,
        peak_deg=peak,
        peak_unc_deg=peak_unc,
        peak_t_s=float(t_s[mid]),
        start_s=float(t_s[w0]),
        end_s=float(t_s[w1]),
        hold_s=hold_s,
        hold_start_s=float(t_s[r0]),
        hold_end_s=float(t_s[r1]),
        valid=not reasons,
        flags=tuple(flag_list),
        reasons=tuple(reasons),
        method=method_name,
        start_index=w0,
        end_index=w1,
        hold_start_index=r0,
        hold_end_index=r1,
    )


def _central_level(vals: np.ndarray) -> float:
    """The hold's level: the interquartile mean of its samples.

    The mean of the middle half of the sorted samples ignores the tops of the
    ramps that reach into the hold (low tail) and stray high frames (high
    tail), is exact on a clean plateau, and moves by only ``change / (n/2)``
    when one sample changes (a median can jump by a whole gap between samples).
    """
    ordered = np.sort(vals)
    quarter = ordered.size // 4
    middle = ordered[quarter : ordered.size - quarter]
    return float(np.mean(middle))


def _bits_present(bits: np.ndarray) -> list[int]:
    """The single bits set anywhere in ``bits``."""
    union = int(np.bitwise_or.reduce(bits)) if bits.size else 0
    return [1 << i for i in range(union.bit_length()) if union >> i & 1]


def _mode_name(codes: np.ndarray | None, names: Sequence[str]) -> str:
    """Name of the most common method code (``"none"`` when there is none)."""
    if codes is None or codes.size == 0:
        return names[0] if names else "none"
    values, counts = np.unique(codes, return_counts=True)
    code = int(values[np.argmax(counts)])
    return names[code] if 0 <= code < len(names) else str(code)


class TrialTracker:
    """The incremental form of :func:`find_trials`: trials reported as they close.

    Feed it one side's series as it grows (``update``); each call returns the
    trials that have *closed* since the last call: the angle came back to
    neutral and stayed there longer than any gap :func:`find_trials` would
    bridge (``merge_gap_s`` of measured frames; never while no frame after the
    trial was measured), so no later frame can merge into them. A
    reported trial is frozen; ``update(..., final=True)`` reports what is
    still open when the series ends. Fed a whole recording, the reported
    trials are those of ``find_trials`` on it (tested equal).

    A caller that feeds only the latest part of a long series (the live recorder, to bound each
    look's cost) must start that part no later than :attr:`open_since_s`: the start of the first
    trial found but not yet reported, else the last frame seen at neutral (a movement under way
    began after it). The part must see where a movement still open began, or one whose leg was
    lost at its extreme for longer than the part reaches back would read as one begun there.

    The series may be revised as it grows (a zero-phase smoother looks a few
    frames ahead), so ``update`` takes the whole series so far, not only the
    new frames.

    Args:
        side: "left" or "right", copied into the trials.
        settings, rules: as for :func:`find_trials`.
    """

    def __init__(self, side: str, settings: TrialSettings = TrialSettings(), rules: FlagRules = FlagRules()) -> None:
        self.side = side
        self.settings = settings
        self.rules = rules
        self.trials: list[Trial] = []  # reported so far, in closing order
        self.open_since_s: float | None = None  # no movement still open began before this (None: unknown)


    def update(
        self,
        t_s: np.ndarray,
        angle_deg: np.ndarray,
        uncertainty_deg: np.ndarray,
        flags: np.ndarray,
        method: np.ndarray | None = None,
        *,
        final: bool = False,
    ) -> list[Trial]:
        """Trials of the series so far that closed since the last call (all that remain when ``final``)."""
        t = np.asarray(t_s, dtype=np.float64)
        if t.shape[0] == 0:
            return []
        found = find_trials(t, angle_deg, uncertainty_deg, flags, method, self.side, self.settings, self.rules)
        new = [tr for tr in found if (final or self._closed(tr, t, angle_deg)) and not self._reported(tr)]
        self.trials.extend(new)
        neutral = _last_neutral_s(t, np.asarray(angle_deg, dtype=np.float64), self.settings)
        since = [tr.start_s for tr in found if not self._reported(tr)] + ([neutral] if neutral is not None else [])
        self.open_since_s = min(since) if since else self.open_since_s
        return new

    def _closed(self, trial: Trial, t_s: np.ndarray, angle_deg: np.ndarray) -> bool:
        """No later frame can join ``trial``: a measured frame after it, and the angle back long enough.

        While only unmeasured frames follow it, the next measured one may carry the same movement on
        (:func:`_merge_runs`), however late it comes.
        """
        after = np.isfinite(np.asarray(angle_deg, dtype=np.float64)[trial.end_index + 1 :])
        return bool(after.any()) and float(t_s[-1]) - trial.end_s > self.settings.merge_gap_s + frame_interval_s(t_s)

    def _reported(self, trial: Trial) -> bool:
        """An already reported trial of the same direction covers part of the same time."""
        return any(
            old.direction == trial.direction and trial.start_s <= old.end_s and old.start_s <= trial.end_s
            for old in self.trials
        )


def _last_neutral_s(t_s: np.ndarray, angle_deg: np.ndarray, settings: TrialSettings) -> float | None:
    """The time of the last measured frame of ``angle_deg`` at neutral (within half ``active_deg`` of the
    rest level, where no trial reaches: :func:`_extend`); None when there is none."""
    a = despike(angle_deg)
    finite = np.isfinite(a)
    if not finite.any():
        return None
    rest = float(np.clip(rest_offset_deg(a, settings), -settings.max_rest_offset_deg, settings.max_rest_offset_deg))
    at = np.flatnonzero(finite & (np.abs(np.where(finite, a, 0.0) - rest) <= 0.5 * settings.active_deg))
    return float(t_s[at[-1]]) if at.size else None
