"""The offline smoother and the live One Euro filter."""

from __future__ import annotations

import numpy as np
import pytest

from hiprom.kinematics import smoothing
from hiprom.kinematics.smoothing import (
    SCALE_HALF_WIDTH_SIGMAS,
    OneEuroFilter,
    local_median,
    local_quadratic,
    one_euro,
    per_stretch,
    robust_smooth,
    rolling_rms,
    stretches,
)


@pytest.mark.parametrize("coeffs", [(3.0, 0.0, 0.0), (-2.0, 0.7, 0.0), (1.0, -0.3, 0.02)])
@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_local_quadratic_reproduces_quadratics_exactly(coeffs, sigma):
    k = np.arange(60, dtype=float)
    x = (coeffs[0] + coeffs[1] * k + coeffs[2] * k**2)[:, None]
    np.testing.assert_allclose(local_quadratic(x, sigma), x, atol=1e-8)


@pytest.mark.parametrize(("gap_s", "split"), [(2.6, True), (1.2, True), (0.9, False), (0.2, False)])
def test_the_smoother_does_not_reach_across_a_long_gap_without_frames(gap_s, split):
    """A hold at 35 deg, then no frames for ``gap_s`` (a tab hidden), then 20 deg on the way back: over more
    than ``MAX_UNSEEN_S`` (1 s) without frames the held frames keep 35.0 deg, as they do before unmeasured
    frames; a shorter wait is a source's frame interval and is smoothed across as before. Before, 2.6 s
    without frames bent the last held frames to 30.3 and 25.7 deg."""
    dt = 1.0 / 30.0
    t = np.concatenate([np.arange(0.0, 2.0, dt), 2.0 - dt + gap_s + np.arange(0.0, 1.0, dt)])
    x = np.where(t < 2.0, 35.0, 20.0)[:, None]
    parts = stretches(t, dt)
    assert len(parts) == (2 if split else 1)
    out = per_stretch(lambda v: robust_smooth(v, 3.0), x, parts)
    held = out[t < 2.0, 0]
    assert (np.abs(held - 35.0) < 1e-6).all() if split else held[-1] < 34.0


def test_gaps_stay_gaps_and_ends_are_fitted():
    x = np.linspace(0.0, 10.0, 50)[:, None].copy()
    x[20:25] = np.nan
    out = local_quadratic(x, 2.0)
    assert np.isnan(out[20:25]).all()
    np.testing.assert_allclose(out[np.isfinite(x)], x[np.isfinite(x)], atol=1e-8)
    lone = np.full((9, 1), np.nan)
    lone[4] = 7.0
    np.testing.assert_allclose(local_quadratic(lone, 2.0)[4], 7.0)


def test_robust_smooth_ignores_a_glitch_and_keeps_a_held_peak():
    t = np.arange(120, dtype=float)
    clean = 45.0 * (np.clip((t - 30) / 10.0, 0.0, 1.0) - np.clip((t - 80) / 10.0, 0.0, 1.0))  # ramp, hold, back
    rng = np.random.default_rng(0)
    x = (clean + rng.normal(0.0, 0.8, t.size))[:, None]
    x[60] = 90.0  # a one-frame landmark glitch
    out = robust_smooth(x, 3.0)[:, 0]
    assert abs(out[60] - 45.0) < 1.0
    hold = np.r_[45:60, 61:75]
    assert abs(out[hold].mean() - x[hold, 0].mean()) < 0.2  # the hold keeps its level: no shaving
    assert out.max() < 45.0 + 2.0  # no overshoot beyond the noise
    jitter_raw = np.median(np.abs(np.diff(x[:, 0])))
    jitter = np.median(np.abs(np.diff(out)))
    assert jitter < 0.3 * jitter_raw


def test_a_window_of_a_series_is_smoothed_as_the_whole_series():
    # The live guide measures the last 20 s; the analysis, the whole test. The outlier scale is
    # local, so frames away from the window's ends get the very same values, although the noise
    # differs between the two halves of the series (a global scale would differ).
    rng = np.random.default_rng(4)
    n, sigma = 900, 3.0
    x = np.cumsum(rng.normal(0.0, 0.2, (n, 2)), axis=0)
    x[: n // 2] += rng.normal(0.0, 3.0, (n // 2, 2))  # noisy first half, calm second half
    x[rng.random((n, 2)) < 0.03] += 25.0  # glitches
    x[rng.random((n, 2)) < 0.02] = np.nan
    whole = robust_smooth(x, sigma)
    start, stop = 400, 800
    part = robust_smooth(x[start:stop], sigma)
    reach = int(np.ceil(SCALE_HALF_WIDTH_SIGMAS * sigma)) + 2 * int(np.ceil(3.0 * sigma))
    inner = slice(reach, stop - start - reach)
    np.testing.assert_allclose(part[inner], whole[start:stop][inner], atol=1e-9)


@pytest.mark.parametrize("block_values", [None, 2 * 15 * 3])
def test_local_median_skips_nan_and_matches_numpy(block_values, monkeypatch):
    if block_values is not None:  # sorted a few frames at a time, as an hour-long recording is
        monkeypatch.setattr(smoothing, "MEDIAN_BLOCK_VALUES", block_values)
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, 1.0, (200, 2))
    x[rng.random((200, 2)) < 0.3] = np.nan
    x[50:90, 1] = np.nan
    h = 7
    padded = np.pad(x, ((h, h), (0, 0)), constant_values=np.nan)
    got = local_median(x, h)
    for i in range(200):
        for c in range(2):
            window = padded[i : i + 2 * h + 1, c]
            expected = np.median(window[np.isfinite(window)]) if np.isfinite(window).any() else np.nan
            np.testing.assert_allclose(got[i, c], expected, equal_nan=True)


def test_no_overshoot_where_a_ramp_meets_a_hold():
    t = np.arange(100, dtype=float)
    x = (45.0 * np.clip((t - 20) / 8.0, 0.0, 1.0))[:, None]  # a fast ramp into a hold
    out = robust_smooth(x, 3.0)
    assert out.max() <= 45.0 + 1e-12
    assert out.min() >= -1e-12


def test_rolling_rms_of_white_noise():
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 2.0, (4000, 1))
    assert np.median(rolling_rms(x, 31.0)) == pytest.approx(2.0, rel=0.1)


def test_one_euro_function_and_class_agree():
    rng = np.random.default_rng(2)
    t = np.cumsum(rng.uniform(0.02, 0.05, 300))
    x = np.column_stack([np.sin(t * 3) * 30 + rng.normal(0, 1, 300), rng.normal(0, 1, 300)])
    x[100:105, 1] = np.nan
    filt = OneEuroFilter(2, 0.7, 0.2, 1.0)
    stepwise = np.array([filt(ti, xi) for ti, xi in zip(t, x)])
    np.testing.assert_allclose(one_euro(t, x, 0.7, 0.2, 1.0), stepwise, rtol=0, atol=1e-12)
    assert np.isnan(stepwise[100:105, 1]).all()
    assert stepwise[105, 1] == x[105, 1]  # restarts after a gap


def test_one_euro_holds_a_constant_and_follows_a_step():
    t = np.arange(200) / 30.0
    x = np.where(t < 3.0, 0.0, 40.0)[:, None]
    out = one_euro(t, x, 0.7, 0.2, 1.0)
    assert np.all(out[:90] == 0.0)
    assert abs(out[-1, 0] - 40.0) < 0.05
    assert np.all(np.diff(out[:, 0]) >= 0)  # first order: no overshoot


def test_one_euro_rejects_bad_parameters():
    with pytest.raises(ValueError, match="min_cutoff_hz"):
        OneEuroFilter(1, 0.0, 0.1, 1.0)
