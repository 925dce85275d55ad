"""Smoothing of angle series: a zero-phase offline smoother and a causal live filter.

Offline (:func:`robust_smooth`): a local quadratic regression with Gaussian
weights in time (a Savitzky-Golay filter that tolerates gaps), fitted once,
then refitted without frames that sit far off the curve. It is zero-phase (no
lag), reproduces constants, ramps and parabolas exactly (so a held peak keeps
its height and a turning point is not shaved the way a moving average shaves
it), and leaves NaN gaps as gaps. It works in frames, so a stretch of time
without any frames longer than :data:`MAX_UNSEEN_S` splits the series
(:func:`stretches`): each side is smoothed alone, as across unmeasured frames.

Live (:class:`OneEuroFilter`): the One Euro filter (Casiez, Roussel and Vogel,
"1 Euro Filter", CHI 2012): a first-order low-pass whose cutoff rises with the
signal's speed, so jitter at rest is removed while fast moves lag little. It is
recursive in time, so it steps one frame at a time over all channels at once;
:func:`one_euro` runs it over a whole series.

Arrays are (n_frames, n_channels); times in seconds; sigmas in frames.
"""

from __future__ import annotations

import warnings

from collections.abc import Callable

import numpy as np
from scipy.ndimage import correlate1d, maximum_filter1d, minimum_filter1d, uniform_filter1d

MAX_UNSEEN_S = 1.0
"""A leg unseen for up to this long (the time between two measured frames less one frame interval:
unmeasured frames, or no frames at all) was briefly lost: a hold goes on across it
(``hiprom.assessment.trials.seen_s``). Unseen longer (a tab hidden, the camera covered, a connection
stalled) the leg is not known to have stayed, and that time is not counted as held, and a peak read
across it does not count (``trials._hold_region``). Either way, two excursions in the same direction
separated only by unseen time are one movement (``trials._merge_runs``), as no frame saw the leg come
back. The offline smoother does not reach across a gap without frames this long (:func:`stretches`),
as it does not across unmeasured frames: the frames before it are not bent toward those after it.
Normal sources stay well within it: 30 fps clips 33 ms apart (200 ms at most where frames were
dropped), 5-10 fps clips 100-200 ms, and the browser camera on this project's 2 shared cores (load 13)
194 ms median, 727 ms at the 99th percentile and 905 ms at most over 278 frames
(``docs/exercises.md``)."""


def unseen(gap_s: np.ndarray, dt_s: float) -> np.ndarray:
    """Which of the times ``gap_s`` ((n,) seconds) between two frames that saw the leg are too long for
    the leg to count as seen throughout: unseen for more than :data:`MAX_UNSEEN_S` (less ``dt_s``, the
    frame interval). The one rule of a hold's time, a gap without frames at a peak and the smoother's
    stretches."""
    return np.asarray(gap_s, dtype=float) - dt_s > MAX_UNSEEN_S + 1e-9


def stretches(t_s: np.ndarray, dt_s: float) -> list[slice]:
    """The frames of ``t_s`` ((n,) seconds, increasing) between gaps without frames too long to smooth
    across (:func:`unseen` at frame interval ``dt_s``), as slices in order; one slice when there is none."""
    cuts = (np.flatnonzero(unseen(np.diff(t_s), dt_s)) + 1).tolist()
    return [slice(a, b) for a, b in zip([0, *cuts], [*cuts, len(t_s)])]


def per_stretch(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray, parts: list[slice]) -> np.ndarray:
    """``fn`` (a smoother of (n, c) frames) run on each of ``parts`` of ``x`` alone, the results in order."""
    if len(parts) == 1:
        return fn(x)
    return np.concatenate([fn(x[part]) for part in parts])


def _kernel(sigma_frames: float) -> tuple[np.ndarray, np.ndarray]:
    half = max(1, int(np.ceil(3.0 * sigma_frames)))
    k = np.arange(-half, half + 1, dtype=np.float64)
    return k, np.exp(-0.5 * (k / sigma_frames) ** 2)


def _window_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``out[i] = sum_k weights[k] * values[i + k]`` along axis 0, zeros beyond the ends."""
    return correlate1d(values, weights, axis=0, mode="constant", cval=0.0)


def local_quadratic(x: np.ndarray, sigma_frames: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Zero-phase local quadratic fit of ``x`` (n, c); NaN (or zero weight) samples are skipped.

    At each frame ``i`` it minimises ``sum_k G(k) w[i+k] (x[i+k] - a - b k - c k^2)^2``
    with ``G(k) = exp(-k^2 / 2 sigma^2)`` and returns ``a``, from the weighted
    moments ``S_p = sum G w k^p`` and ``T_p = sum G w x k^p`` by Cramer's rule.
    Where fewer than three points carry weight it falls back to a line, then to
    the weighted mean; NaN where no point is within reach or ``x`` is NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.isfinite(x).astype(np.float64)
    if weights is not None:
        w = w * weights
    xw = np.where(w > 0, x, 0.0) * w
    k, g = _kernel(sigma_frames)
    s0, s1, s2, s3, s4 = (_window_sum(w, g * k**p) for p in range(5))
    t0, t1, t2 = (_window_sum(xw, g * k**p) for p in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        # | s0 s1 s2 | |a|   |t0|
        # | s1 s2 s3 | |b| = |t1|
        # | s2 s3 s4 | |c|   |t2|
        det = s0 * (s2 * s4 - s3 * s3) - s1 * (s1 * s4 - s2 * s3) + s2 * (s1 * s3 - s2 * s2)
        quad = (t0 * (s2 * s4 - s3 * s3) - s1 * (t1 * s4 - s3 * t2) + s2 * (t1 * s3 - s2 * t2)) / det
        det_lin = s0 * s2 - s1 * s1
        line = (t0 * s2 - s1 * t1) / det_lin
        mean = t0 / s0
        out = np.where(det > 1e-9 * s0 * s2 * s4, quad, np.where(det_lin > 1e-9 * s0 * s2, line, mean))
    return np.where(np.isfinite(x), out, np.nan)


def local_mean(x: np.ndarray, sigma_frames: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Gaussian-weighted mean of ``x`` (n, c) around each frame (order 0), NaN skipped and kept.

    ``sum G w x / sum G w``: cheaper than :func:`local_quadratic` and never
    overshoots, but rounds peaks; for slow signals such as posture.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.isfinite(x).astype(np.float64)
    if weights is not None:
        w = w * weights
    _, g = _kernel(sigma_frames)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = _window_sum(np.where(w > 0, x, 0.0) * w, g) / _window_sum(w, g)
    return np.where(np.isfinite(x), out, np.nan)


SCALE_HALF_WIDTH_SIGMAS = 10.0
"""The outlier scale of :func:`robust_smooth` is the median residual within this many smoothing sigmas
either side of a frame (1 s at the default 0.1 s sigma): local, so a live look at the last 20 s
(``live.recorder``) judges a frame's outliers by the same frames as the analysis of the whole test."""


MEDIAN_BLOCK_VALUES = 1 << 19
""":func:`local_median` sorts its windows this many values at a time (4 MB of float64), so its memory
does not grow with the recording: sorting all windows of an hour at 30 fps at once (108,000 frames,
6 posture channels, 91-frame windows) took 470 MB, the peak of the whole analysis."""


def local_median(x: np.ndarray, half_width_frames: float) -> np.ndarray:
    """Median of ``x`` (n, c) over a centred window of ``2 h + 1`` frames (``h`` rounded up), NaN skipped.

    Frames beyond the ends do not count; a window with no finite value gives NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] == 0:
        return x.copy()
    h = max(1, int(np.ceil(half_width_frames)))
    padded = np.pad(x, ((h, h), (0, 0)), constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * h + 1, axis=0)  # (n, c, 2h+1), a view
    out = np.empty(x.shape)
    block = max(1, MEDIAN_BLOCK_VALUES // (windows[0].size or 1))  # frames sorted at a time
    for start in range(0, x.shape[0], block):
        ordered = np.sort(windows[start : start + block], axis=-1)  # NaN last
        count = np.isfinite(ordered).sum(axis=-1, keepdims=True)  # (frames, c, 1)
        # the middle one or two of the ``count`` finite values (a NaN pair when there are none)
        lo = np.take_along_axis(ordered, np.maximum(count - 1, 0) // 2, axis=-1)
        hi = np.take_along_axis(ordered, count // 2, axis=-1)
        out[start : start + block] = np.where(count > 0, 0.5 * (lo + hi), np.nan)[..., 0]
    return out


def robust_smooth(
    x: np.ndarray, sigma_frames: float, outlier_k: float = 4.0, floor: float | np.ndarray = 1.0, order: int = 2
) -> np.ndarray:
    """:func:`local_quadratic` (``order`` 2) or :func:`local_mean` (0), then again without outliers.

    An outlier is off the first fit by more than ``outlier_k`` robust standard
    deviations (1.4826 x the median absolute residual of the channel within
    ``SCALE_HALF_WIDTH_SIGMAS`` sigmas, at least ``floor``), e.g. a single frame
    where the model put the ankle on the chair leg.
    The quadratic result is kept within the local range of the data.
    """
    if order not in (0, 2):
        raise ValueError(f"order must be 0 or 2, but got {order}")
    fit_fn = local_quadratic if order == 2 else local_mean
    first = fit_fn(x, sigma_frames)
    resid = np.abs(x - first)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN channels give NaN scales
        scale = np.maximum(1.4826 * local_median(resid, SCALE_HALF_WIDTH_SIGMAS * sigma_frames), floor)
        keep = resid <= outlier_k * scale
    fit = first if keep[np.isfinite(x)].all() else fit_fn(x, sigma_frames, weights=keep.astype(np.float64))
    if order == 0:
        return fit
    # A quadratic overshoots where a ramp meets a hold (its kernel has negative side
    # lobes); never go beyond the range of the kept raw samples within +-2 sigma.
    size = 2 * int(np.ceil(2.0 * sigma_frames)) + 1
    lo = minimum_filter1d(np.where(keep, x, np.inf), size, axis=0, mode="nearest")
    hi = maximum_filter1d(np.where(keep, x, -np.inf), size, axis=0, mode="nearest")
    return np.where(np.isfinite(lo) & np.isfinite(hi), np.clip(fit, lo, hi), fit)


def rolling_rms(x: np.ndarray, window_frames: float) -> np.ndarray:
    """Root mean square of ``x`` (n, c) over a centred window of ``window_frames``, NaN skipped.

    A box window (``uniform_filter1d``): its cost does not grow with its width.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.isfinite(x).astype(np.float64)
    size = 2 * int(round(window_frames / 2.0)) + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        num = uniform_filter1d(np.where(w > 0, x, 0.0) ** 2, size, axis=0, mode="constant")
        den = uniform_filter1d(w, size, axis=0, mode="constant")
        return np.sqrt(np.maximum(num, 0.0) / den)


def frames_per_second(t_s: np.ndarray, fallback: float) -> float:
    """The typical frame rate of timestamps ``t_s`` (median spacing), else ``fallback``."""
    dt = np.diff(np.asarray(t_s, dtype=np.float64))
    dt = dt[np.isfinite(dt) & (dt > 0)]
    return float(1.0 / np.median(dt)) if dt.size else float(fallback)


def _alpha(cutoff_hz: np.ndarray, dt_s: np.ndarray) -> np.ndarray:
    """Smoothing factor of a first-order low-pass: ``1 / (1 + tau / dt)``, ``tau = 1 / (2 pi fc)``."""
    r = 2.0 * np.pi * cutoff_hz * dt_s
    return r / (r + 1.0)


class OneEuroFilter:
    """The One Euro filter over ``n_channels`` independent signals, one sample at a time.

    A NaN sample gives NaN and restarts that channel (the next valid sample passes through).
    """

    def __init__(self, n_channels: int, min_cutoff_hz: float, beta: float, d_cutoff_hz: float) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ValueError(
                f"One Euro needs min_cutoff_hz > 0, d_cutoff_hz > 0, beta >= 0, "
                f"but got {min_cutoff_hz}, {d_cutoff_hz}, {beta}"
            )
        self.min_cutoff_hz, self.beta, self.d_cutoff_hz = min_cutoff_hz, beta, d_cutoff_hz
        self.n_channels = n_channels
        self.reset()

    def reset(self) -> None:
        """Forget the past: the next sample of every channel passes through unchanged."""
        self._x = np.full(self.n_channels, np.nan)  # last filtered value
        self._dx = np.zeros(self.n_channels)  # last filtered speed (units per second)
        self._t = np.full(self.n_channels, np.nan)  # time of the last valid sample

    def __call__(self, t_s: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample ``x`` (n_channels,) taken at ``t_s`` seconds; returns (n_channels,)."""
        x = np.asarray(x, dtype=np.float64)
        valid = np.isfinite(x)
        fresh = valid & ~np.isfinite(self._x)
        with np.errstate(invalid="ignore"):
            dt = np.maximum(t_s - self._t, 1e-6)
            # speed, low-passed at d_cutoff:  dx_hat = dx_hat' + a_d (dx - dx_hat')
            dx_hat = self._dx + _alpha(self.d_cutoff_hz, dt) * ((x - self._x) / dt - self._dx)
            # cutoff rises with speed:  fc = min_cutoff + beta |dx_hat|
            cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
            x_hat = self._x + _alpha(cutoff, dt) * (x - self._x)
        out = np.where(fresh, x, x_hat)
        out = np.where(valid, out, np.nan)
        self._x = out
        self._dx = np.where(valid & ~fresh, dx_hat, 0.0)
        self._t = np.where(valid, t_s, np.nan)
        return out


def one_euro(
    t_s: np.ndarray, x: np.ndarray, min_cutoff_hz: float = 1.0, beta: float = 0.05, d_cutoff_hz: float = 1.0
) -> np.ndarray:
    """Run :class:`OneEuroFilter` causally over a whole series ``x`` (n, c) at times ``t_s`` (n,)."""
    x = np.asarray(x, dtype=np.float64)
    filt = OneEuroFilter(x.shape[1], min_cutoff_hz, beta, d_cutoff_hz)
    out = np.empty_like(x)
    for i in range(x.shape[0]):  # recursive in time: each output depends on the previous one
        out[i] = filt(float(t_s[i]), x[i])
    return out
