"""Agreement and reliability statistics of paired readings; pure numpy/scipy, no I/O.

Two readings of the same thing (hiprom and a goniometer, or hiprom today and
hiprom again an hour later) are compared in two ways a clinic knows:

- **Bland-Altman** (Bland & Altman, Lancet 1986;1:307-310; Stat Methods Med
  Res 1999;8:135-160): the bias (mean of ``a - b``), the 95 % limits of
  agreement (bias +- 1.96 SD of the differences), their 95 % confidence
  intervals (SE of the bias ``SD/sqrt(n)``, of each limit ``sqrt(3 SD^2/n)``,
  both with Student's t on n - 1 df), and proportional bias: the slope of the
  least-squares regression of the difference on the mean. When a subject
  gives several pairs (repeated readings, several visits), the subject, not
  the pair, is the unit (Zou, Stat Methods Med Res 2013;22:630-642; Bland &
  Altman 1999 section 5): the bias is the mean of the subjects' mean
  differences, the SD of one difference adds the within-subject variance
  back (``s^2 = s^2_between + (1 - 1/m_h) s^2_within``, ``m_h`` the harmonic
  mean of the pairs per subject), and the limits' CIs are Zou's MOVER
  intervals on n_subjects - 1 and N - n_subjects df.
- **Intraclass correlation** from the two-way ANOVA of the (n targets x k
  readers) table (Shrout & Fleiss, Psychol Bull 1979;86:420-428): ICC(2,1),
  absolute agreement of single readings (a systematic bias lowers it), and
  ICC(3,1), consistency (a bias does not). 95 % CIs by McGraw & Wong
  (Psychol Methods 1996;1:30-46), the same formulas as R ``psych::ICC``.
  When a subject gives several pairs, the mean squares are those of the
  pairs' sums and differences with the subject as the unit, on
  Satterthwaite's degrees of freedom (:func:`icc_repeated`), so the SEM
  and MDC95 below count subjects as the limits of agreement do.
- **SEM and MDC95** (de Vet et al., J Clin Epidemiol 2006;59:1033-1039;
  Weir, J Strength Cond Res 2005;19:231-240): the standard error of
  measurement of a single reading, ``SEM = sqrt(sigma^2_readers +
  sigma^2_error)`` (agreement, includes the bias) and ``sqrt(MSE)``
  (consistency), and the minimal detectable change ``MDC95 = 1.96 sqrt(2) SEM``:
  the smallest change between two readings that is real with 95 % confidence.
  Their 95 % CIs count people as the ICC does, from its mean squares and
  degrees of freedom. The consistency SEM's is the chi-square interval of
  ``MSE`` (exact with one pair a person; Burdick & Graybill, Confidence
  Intervals on Variance Components, 1992; for the SEM, Stratford & Goldsmith,
  Phys Ther 1997;77:745-750). The agreement SEM's square is the readers' part
  plus ``MSE``; the readers are two fixed instruments (hiprom and the
  clinic's), so their part is half the squared bias, and the two parts'
  intervals (the bias's, squared; ``MSE``'s chi-square) are recombined by
  MOVER (Zou & Donner, Stat Med 2008;27:1693-1702), as Zou's limits above
  recombine the same two. The MDC95's CI is the SEM's times ``1.96 sqrt(2)``.

Why scipy and not pingouin: the ANOVA behind every figure above is a few
lines of numpy, and scipy (already a hiprom dependency) provides the F and t
distributions; pingouin would add pandas, statsmodels, scikit-learn and
seaborn for the same formulas. The tests check the published worked example
(Shrout & Fleiss's six targets x four judges) and hand-computed figures.
``scipy.stats`` is imported by the functions that use it: importing it
takes over a second, which every report, trend and re-test would pay for
the clinic's MDC (:mod:`hiprom.validation.retest`) when it has too few
re-tests to compute one.

Every angle is in degrees; differences are ``a - b`` (hiprom minus reference).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.959963984540054
"""Two-sided 95 % normal quantile: limits of agreement and MDC95."""

MIN_PAIRS = 3
"""Fewest pairs any figure is computed from (n - 1 degrees of freedom must leave room for a spread)."""


@dataclass(frozen=True)
class Interval:
    """A 95 % confidence interval ``[low, high]`` (``nan`` when it cannot be computed)."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the interval (ends included)."""
        return bool(self.low <= value <= self.high)


@dataclass(frozen=True)
class IccResult:
    """Intraclass correlations of an (n targets x k readers) table, single readings.

    Attributes:
        icc_2_1: ICC(2,1), two-way random effects, absolute agreement.
        icc_3_1: ICC(3,1), two-way mixed effects, consistency.
        ci_2_1, ci_3_1: their 95 % confidence intervals (McGraw & Wong 1996).
        ms_rows, ms_cols, ms_error: ANOVA mean squares of targets, readers, residual.
        n, k: targets (people, when a person gave several pairs: :func:`icc_repeated`) and readers.
        df_rows, df_error: degrees of freedom of ``ms_rows`` and ``ms_error``.
    """

    icc_2_1: float
    icc_3_1: float
    ci_2_1: Interval
    ci_3_1: Interval
    ms_rows: float
    ms_cols: float
    ms_error: float
    n: int
    k: int
    df_rows: float
    df_error: float

    @property
    def sem_agreement(self) -> float:
        """SEM of one reading including systematic reader differences: ``sqrt(sigma^2_cols + MSE)``."""
        var_cols = max((self.ms_cols - self.ms_error) / self.n, 0.0)
        return math.sqrt(var_cols + self.ms_error)

    @property
    def sem_consistency(self) -> float:
        """SEM of one reading without systematic reader differences: ``sqrt(MSE)``."""
        return math.sqrt(self.ms_error)

    def sem_consistency_ci(self, alpha: float = 0.05) -> Interval:
        """CI of :attr:`sem_consistency`: the chi-square interval of ``MSE`` on ``df_error`` df."""
        low, high = _chi2_ci(self.ms_error, self.df_error, alpha)
        return Interval(math.sqrt(low), math.sqrt(high))

    def sem_agreement_ci(self, bias_ci: Interval, alpha: float = 0.05) -> Interval:
        """CI of :attr:`sem_agreement` given the CI of the bias (the mean difference of the two readers).

        ``SEM^2 = sigma^2_cols + MSE``, where with two fixed readers ``sigma^2_cols`` estimates
        ``bias^2 / 2``: its interval is the bias's squared and halved (0 at the low end when the
        bias's interval holds 0), ``MSE``'s the chi-square one, recombined by MOVER (Zou & Donner
        2008)::

            low  = SEM^2 - sqrt((sigma^2_cols - l_cols)^2 + (MSE - l_e)^2)
            high = SEM^2 + sqrt((u_cols - sigma^2_cols)^2 + (u_e - MSE)^2)

        ``nan`` when the readings have no spread at all.
        """
        var_cols = self.sem_agreement**2 - self.ms_error
        ends = (bias_ci.low**2 / 2, bias_ci.high**2 / 2)
        l_cols = 0.0 if bias_ci.low <= 0 <= bias_ci.high else min(ends)
        u_cols = max(ends)
        l_e, u_e = _chi2_ci(self.ms_error, self.df_error, alpha)
        low = self.sem_agreement**2 - math.hypot(var_cols - min(l_cols, var_cols), self.ms_error - l_e)
        high = self.sem_agreement**2 + math.hypot(max(u_cols, var_cols) - var_cols, u_e - self.ms_error)
        return Interval(math.sqrt(max(low, 0.0)), math.sqrt(high)) if math.isfinite(high) else \
            Interval(math.nan, math.nan)


def _chi2_ci(ms: float, df: float, alpha: float) -> tuple[float, float]:
    """The chi-square interval ``df MS / chi2(1 - alpha/2, df)`` to ``df MS / chi2(alpha/2, df)`` of the
    variance a mean square ``ms`` on ``df`` degrees of freedom estimates; ``nan`` when ``ms`` is 0:
    readings without any spread support no interval, not one of zero width."""
    from scipy import stats  # imported when used: see the module's docstring

    if not ms > 0:
        return math.nan, math.nan
    return float(df * ms / stats.chi2.ppf(1 - alpha / 2, df)), float(df * ms / stats.chi2.ppf(alpha / 2, df))


@dataclass(frozen=True)
class BlandAltman:
    """Bland-Altman figures of paired readings ``a`` and ``b`` (degrees, ``a - b``).

    Attributes:
        n: pairs.
        bias: mean difference; ``bias_ci`` its 95 % CI.
        sd: standard deviation of the differences (n - 1 in the denominator).
        loa_low, loa_high: 95 % limits of agreement, ``bias -+ 1.96 sd``;
            ``loa_low_ci``, ``loa_high_ci`` their 95 % CIs.
        slope: proportional bias, slope of the difference on the mean
            (0 = none); ``slope_ci`` its 95 % CI, ``slope_p`` the p-value of slope = 0.
    """

    n: int
    bias: float
    bias_ci: Interval
    sd: float
    loa_low: float
    loa_high: float
    loa_low_ci: Interval
    loa_high_ci: Interval
    slope: float
    slope_ci: Interval
    slope_p: float


@dataclass(frozen=True)
class Agreement:
    """Everything reported for one set of pairs: Bland-Altman, both ICCs, SEM and MDC95 (degrees).

    ``sem_ci``, ``sem_consistency_ci`` and ``mdc95_ci`` are their 95 % CIs
    (:meth:`IccResult.sem_agreement_ci`, :meth:`IccResult.sem_consistency_ci`), ``nan`` when there
    is no spread to put one on.
    """

    bland_altman: BlandAltman
    icc: IccResult
    sem: float
    sem_consistency: float
    mdc95: float
    sem_ci: Interval
    sem_consistency_ci: Interval
    mdc95_ci: Interval

    def to_dict(self) -> dict[str, Any]:
        """The JSON figures: the issue's keys first, then CIs and regression (degrees; ``None`` for nan)."""
        ba, icc = self.bland_altman, self.icc
        out = {
            "n": ba.n,
            "bias_deg": ba.bias,
            "loa_low_deg": ba.loa_low,
            "loa_high_deg": ba.loa_high,
            "icc_2_1": icc.icc_2_1,
            "icc_3_1": icc.icc_3_1,
            "sem_deg": self.sem,
            "mdc95_deg": self.mdc95,
            "bias_ci_deg": [ba.bias_ci.low, ba.bias_ci.high],
            "loa_low_ci_deg": [ba.loa_low_ci.low, ba.loa_low_ci.high],
            "loa_high_ci_deg": [ba.loa_high_ci.low, ba.loa_high_ci.high],
            "sd_diff_deg": ba.sd,
            "proportional_bias_slope": ba.slope,
            "proportional_bias_slope_ci": [ba.slope_ci.low, ba.slope_ci.high],
            "proportional_bias_p": ba.slope_p,
            "icc_2_1_ci": [icc.ci_2_1.low, icc.ci_2_1.high],
            "icc_3_1_ci": [icc.ci_3_1.low, icc.ci_3_1.high],
            "sem_consistency_deg": self.sem_consistency,
            "sem_ci_deg": [self.sem_ci.low, self.sem_ci.high],
            "sem_consistency_ci_deg": [self.sem_consistency_ci.low, self.sem_consistency_ci.high],
            "mdc95_ci_deg": [self.mdc95_ci.low, self.mdc95_ci.high],
        }
        return _finite(out)


def _finite(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _table(ratings: np.ndarray) -> np.ndarray:
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2:
        raise ValueError(f"ratings must be a 2D array of shape (n_targets, k_readers >= 2), but got shape {x.shape}")
    if x.shape[0] < MIN_PAIRS:
        raise ValueError(f"ratings need at least {MIN_PAIRS} targets, but got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        raise ValueError("ratings must all be finite (drop incomplete targets first)")
    return x


def icc(ratings: np.ndarray, alpha: float = 0.05) -> IccResult:
    """ICC(2,1) and ICC(3,1) with CIs of a complete (n targets x k readers) table.

    Args:
        ratings: (n, k) readings, one row per target (subject and measure),
            one column per reader (instrument, rater or session); n >= 3, k >= 2.
        alpha: 1 - confidence level of the intervals.
    """
    x = _table(ratings)
    n, k = x.shape
    grand = x.mean()
    # Two-way ANOVA without replication: targets (rows), readers (columns), residual.
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_total = np.sum((x - grand) ** 2)
    ss_error = ss_total - ss_rows - ss_cols
    if ss_error <= 1e-12 * ss_total:  # round-off of the subtraction: readings alike in every target (1e-14, not 0,
        ss_error = 0.0  # gave the ICC an interval [1.00, 1.00] and the SEM one of 1e-7 deg)
    df_rows, df_cols, df_error = n - 1, k - 1, (n - 1) * (k - 1)
    msr, msc, mse = ss_rows / df_rows, ss_cols / df_cols, max(ss_error / df_error, 0.0)
    return _icc_from_mean_squares(float(msr), float(msc), float(mse), n, k, df_rows, df_error, alpha)


def _icc_from_mean_squares(msr: float, msc: float, mse: float, n: int, k: int, df_rows: float, df_error: float,
                           alpha: float) -> IccResult:
    """ICC(2,1), ICC(3,1) and their CIs from the mean squares of targets, readers (k - 1 df) and residual."""
    from scipy import stats  # imported when used: see the module's docstring

    df_cols = k - 1
    msr, msc, mse = np.float64(msr), np.float64(msc), np.float64(mse)  # 0/0 is nan under errstate, not an error
    # Shrout & Fleiss 1979, Table 2: single-reading forms of Cases 2 and 3.
    icc2 = _ratio(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n)
    icc3 = _ratio(msr - mse, msr + (k - 1) * mse)
    if msr == 0 and mse == 0:  # the targets do not differ, nor the readings of one: no ICC (ICC(2,1) read 0)
        icc2 = icc3 = math.nan

    q = 1 - alpha / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # ICC(3,1): F = MSR/MSE is F(df_rows, df_error) distributed (McGraw & Wong 1996, case 3 C,1).
        f_obs = msr / mse if mse > 0 else math.inf
        f_low = f_obs / stats.f.ppf(q, df_rows, df_error)
        f_high = f_obs * stats.f.ppf(q, df_error, df_rows)
        ci3 = Interval(_ratio(f_low - 1, f_low + k - 1), _ratio(f_high - 1, f_high + k - 1))
        if icc2 < 1:
            # ICC(2,1): Satterthwaite df of the denominator (McGraw & Wong 1996, case 2 A,1).
            a = k * icc2 / (n * (1 - icc2))
            b = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
            v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / df_cols + (b * mse) ** 2 / df_error)
            fl = stats.f.ppf(q, df_rows, v)
            fu = stats.f.ppf(q, v, df_rows)
            denom = k * msc + (k * n - k - n) * mse
            ci2 = Interval(_ratio(n * (msr - fl * mse), fl * denom + n * msr),
                           _ratio(n * (fu * msr - mse), denom + n * fu * msr))
        else:  # every reader read every target alike (MSE = MSC = 0): no spread to put an interval on
            ci2 = Interval(math.nan, math.nan)
    return IccResult(float(icc2), float(icc3), ci2, ci3, float(msr), float(msc), float(mse), n, k, float(df_rows),
                     float(df_error))


def icc_repeated(a: np.ndarray, b: np.ndarray, group: np.ndarray, alpha: float = 0.05) -> IccResult:
    """ICC(2,1) and ICC(3,1) with CIs of paired readings of which a person may give several pairs.

    Each pair is a target, as in :func:`icc`, but the people are the units: with two readers the
    two-way ANOVA is the spread of the pairs' sums and differences (``MSR = var(a + b) / 2``,
    ``MSE = var(a - b) / 2``, ``MSC = n mean(a - b)^2 / 2``), and each variance here is that of
    one pair with people as units (:func:`_spread`: Bland & Altman 1999 section 5.2, as in the
    limits of agreement), its degrees of freedom Satterthwaite's (1946) from the people (n - 1)
    and the pairs within them (N - n). With one pair a person it is :func:`icc` exactly.

    Args:
        a, b: (N,) paired readings in degrees, finite.
        group: (N,) each pair's person, numbered 0 .. n - 1; n >= 3.
        alpha: 1 - confidence level of the intervals.
    """
    x = _table(np.column_stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)]))
    sums, diffs = _spread(x[:, 0] + x[:, 1], group), _spread(x[:, 0] - x[:, 1], group)
    if diffs.total == diffs.n:  # one pair a person: the plain two-way ANOVA
        return icc(x, alpha)
    # E[MSR] = sigma^2_e + 2 sigma^2_targets, E[MSE] = sigma^2_e (Shrout & Fleiss's Case 2 with k = 2).
    msr, mse = sums.var / 2, diffs.var / 2
    msc = diffs.n * diffs.mean**2 / 2  # the readers' difference, the mean of the people's mean differences
    return _icc_from_mean_squares(msr, msc, mse, diffs.n, 2, sums.df, diffs.df, alpha)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den != 0 and math.isfinite(num) and math.isfinite(den) else math.nan


def bland_altman(a: np.ndarray, b: np.ndarray, alpha: float = 0.05,
                 subjects: Sequence[Hashable] | None = None) -> BlandAltman:
    """Bias, 95 % limits of agreement with CIs, and proportional bias of ``a - b``.

    Args:
        a, b: (n,) paired readings in degrees (hiprom, reference), n >= 3, finite.
        alpha: 1 - confidence level of the CIs (the limits themselves are always 95 %).
        subjects: (n,) whose each pair is; when one subject has several pairs the
            limits are those of repeated measures (:func:`_nested`). ``None``: every pair its own subject.

    Pairs that all differ alike have no spread: the bias and the limits (all one value) come with
    ``nan`` intervals and slope, as no finite sample supports an interval of zero width.
    """
    from scipy import stats  # imported when used: see the module's docstring

    x = _table(np.column_stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)]))
    diff = x[:, 0] - x[:, 1]
    mean = x.mean(axis=1)
    n = diff.size
    group = _people(subjects, n)
    if np.ptp(diff) == 0:  # every pair differed alike: no spread, so no interval (not one of zero width)
        bias, none = float(diff[0]), Interval(math.nan, math.nan)
        return BlandAltman(n=n, bias=bias, bias_ci=none, sd=0.0, loa_low=bias, loa_high=bias, loa_low_ci=none,
                           loa_high_ci=none, slope=math.nan, slope_ci=none, slope_p=math.nan)
    if group is not None:
        return _nested(diff, mean, group, alpha)
    bias = float(diff.mean())
    sd = float(diff.std(ddof=1))
    t = float(stats.t.ppf(1 - alpha / 2, n - 1))
    se_bias = sd / math.sqrt(n)
    se_loa = math.sqrt(3 * sd**2 / n)  # Bland & Altman 1986: var(LoA) ~ 3 sd^2 / n
    lo, hi = bias - Z95 * sd, bias + Z95 * sd
    slope, slope_ci, slope_p = _slope(mean, diff, alpha)
    return BlandAltman(
        n=n, bias=bias, bias_ci=Interval(bias - t * se_bias, bias + t * se_bias), sd=sd,
        loa_low=lo, loa_high=hi,
        loa_low_ci=Interval(lo - t * se_loa, lo + t * se_loa),
        loa_high_ci=Interval(hi - t * se_loa, hi + t * se_loa),
        slope=slope, slope_ci=slope_ci, slope_p=slope_p,
    )


@dataclass(frozen=True)
class _Spread:
    """The spread of one value of a pair (its difference or its sum) when pairs nest in people.

    Attributes:
        mean: mean of the people's means (every person counts once).
        between: variance of the people's means, on n - 1 df.
        within: pooled variance of the pairs around their person's mean, on N - n df.
        share: ``1 - 1/m_h``, ``m_h`` the harmonic mean of the pairs a person.
        n, total: people and pairs.
    """

    mean: float
    between: float
    within: float
    share: float
    n: int
    total: int

    @property
    def var(self) -> float:
        """Variance of one pair's value: ``s^2_between + (1 - 1/m_h) s^2_within`` (Bland & Altman 1999, 5.2)."""
        return self.between + self.share * self.within

    @property
    def df(self) -> float:
        """Satterthwaite's (1946) degrees of freedom of :attr:`var` (n - 1 with one pair a person)."""
        parts = self.between**2 / (self.n - 1) + ((self.share * self.within) ** 2 / (self.total - self.n)
                                                   if self.total > self.n else 0.0)
        return self.var**2 / parts if parts > 0 else float(self.n - 1)


def _people(subjects: Sequence[Hashable] | None, n: int) -> np.ndarray | None:
    """Each of the ``n`` pairs' person numbered 0 .. people - 1, or ``None`` when every pair is its own person."""
    if subjects is None:
        return None
    if len(subjects) != n:
        raise ValueError(f"subjects must name each of the {n} pairs, but got {len(subjects)}")
    _, group = np.unique(np.array([str(s) for s in subjects]), return_inverse=True)
    return group if group.max() + 1 < n else None


def _spread(values: np.ndarray, group: np.ndarray) -> _Spread:
    """:class:`_Spread` of ``values`` (N,) whose person each ``group`` (N,) numbers 0 .. n - 1 (n >= 2)."""
    m = np.bincount(group).astype(float)  # pairs per person, m_i
    n, total = m.size, values.size
    person_mean = np.bincount(group, weights=values) / m
    within = float(np.sum((values - person_mean[group]) ** 2) / (total - n)) if total > n else 0.0
    between = float(person_mean.var(ddof=1)) if n > 1 else math.nan
    return _Spread(float(person_mean.mean()), between, within,
                   1 - float(np.mean(1 / m)), n, total)


def _nested(diff: np.ndarray, mean: np.ndarray, group: np.ndarray, alpha: float) -> BlandAltman:
    """Bland-Altman of pairs nested in subjects (Zou 2013, with the harmonic-mean pooling of
    Bland & Altman 1999 section 5.2); ``group`` numbers each pair's subject 0 .. n_subjects - 1."""
    from scipy import stats  # imported when used: see the module's docstring

    spread = _spread(diff, group)
    n, total = spread.n, spread.total  # subjects n, pairs N
    bias = spread.mean  # unweighted: every subject counts once
    var_between, var_within, share = spread.between, spread.within, spread.share
    var = spread.var  # one difference: between-subject and within-subject parts
    sd = math.sqrt(var)
    lo, hi = bias - Z95 * sd, bias + Z95 * sd
    t = float(stats.t.ppf(1 - alpha / 2, n - 1)) if n > 1 else math.nan
    half_bias = t * math.sqrt(var_between / n)
    # MOVER (Zou 2013): chi-square limits of each variance part, recombined.
    chi = stats.chi2.ppf
    lo_var = var - math.hypot(var_between * (1 - (n - 1) / chi(1 - alpha / 2, n - 1)),
                              share * var_within * (1 - (total - n) / chi(1 - alpha / 2, total - n)))
    hi_var = var + math.hypot(var_between * ((n - 1) / chi(alpha / 2, n - 1) - 1),
                              share * var_within * ((total - n) / chi(alpha / 2, total - n) - 1))
    inner = math.hypot(half_bias, Z95 * (sd - math.sqrt(max(lo_var, 0.0))))  # towards the bias
    outer = math.hypot(half_bias, Z95 * (math.sqrt(hi_var) - sd))  # away from it
    slope, slope_ci, slope_p = _slope(mean, diff, alpha)
    return BlandAltman(
        n=total, bias=bias, bias_ci=Interval(bias - half_bias, bias + half_bias), sd=sd,
        loa_low=lo, loa_high=hi,
        loa_low_ci=Interval(lo - outer, lo + inner), loa_high_ci=Interval(hi - inner, hi + outer),
        slope=slope, slope_ci=slope_ci, slope_p=slope_p,
    )


def _slope(mean: np.ndarray, diff: np.ndarray, alpha: float) -> tuple[float, Interval, float]:
    """Least-squares slope of ``diff`` on ``mean`` with its CI and p-value (nan if the means do not vary)."""
    from scipy import stats  # imported when used: see the module's docstring

    if np.ptp(mean) == 0:
        return math.nan, Interval(math.nan, math.nan), math.nan
    fit = stats.linregress(mean, diff)
    t = float(stats.t.ppf(1 - alpha / 2, mean.size - 2)) if mean.size > 2 else math.nan
    slope, se = float(fit.slope), float(fit.stderr)
    return slope, Interval(slope - t * se, slope + t * se), float(fit.pvalue)


def mdc95(sem: float) -> float:
    """Minimal detectable change at 95 % confidence of a difference of two readings: ``1.96 sqrt(2) SEM``."""
    return Z95 * math.sqrt(2.0) * sem


def mdc95_ci(sem_ci: Interval) -> Interval:
    """CI of the MDC95 from the CI of its SEM (the MDC95 is a fixed multiple of the SEM)."""
    return Interval(mdc95(sem_ci.low), mdc95(sem_ci.high))


def agreement(a: np.ndarray, b: np.ndarray, alpha: float = 0.05,
              subjects: Sequence[Hashable] | None = None) -> Agreement:
    """Bland-Altman, ICC(2,1), ICC(3,1), SEM (agreement) and MDC95 of paired readings ``a`` and ``b``.

    ``subjects`` names each pair's subject: when one gives several pairs, every figure counts
    people, not pairs (:func:`bland_altman`, :func:`icc_repeated`).
    """
    ba = bland_altman(a, b, alpha, subjects)
    pairs = np.column_stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)])
    group = _people(subjects, len(pairs))
    result = icc(pairs, alpha) if group is None else icc_repeated(pairs[:, 0], pairs[:, 1], group, alpha)
    sem, sem_ci = result.sem_agreement, result.sem_agreement_ci(ba.bias_ci, alpha)
    return Agreement(bland_altman=ba, icc=result, sem=sem, sem_consistency=result.sem_consistency, mdc95=mdc95(sem),
                     sem_ci=sem_ci, sem_consistency_ci=result.sem_consistency_ci(alpha), mdc95_ci=mdc95_ci(sem_ci))
